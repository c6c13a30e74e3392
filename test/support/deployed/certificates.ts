import { generate } from 'selfsigned';

export interface Certificate {
  /** PEM */
  readonly key: string;
  /** PEM; trusted by a process that lists it in NODE_EXTRA_CA_CERTS. */
  readonly cert: string;
}

/**
 * A self-signed certificate for one host name, valid for a day: what the test receivers
 * and the emulated API serve HTTPS with, so that deployed mode's `https`-only rule holds.
 */
export async function certificateFor(host: string): Promise<Certificate> {
  const generated = await generate([{ name: 'commonName', value: host }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    ],
  });
  return { key: generated.private, cert: generated.cert };
}
