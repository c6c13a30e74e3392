import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const LISTENING = /Hookpost listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** `npm start` as a developer runs it, in its own process group so that a kill reaches every process. */
export class HookpostProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly output: () => string,
  ) {}

  static async start(env: Record<string, string>): Promise<HookpostProcess> {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: repositoryRoot,
      env: { ...process.env, PORT: '0', HOOKPOST_LOG_LEVEL: 'warn', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start did not listen within 60 s:\n${output}`)),
        60_000,
      );
      const check = () => {
        const match = LISTENING.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
    return new HookpostProcess(child, url, () => output);
  }

  get log(): string {
    return this.output();
  }

  /** Sends a signal to the whole process group and waits until every process in it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const group = this.child.pid;
    if (group === undefined) return;
    try {
      process.kill(-group, signal);
    } catch {
      return; // already gone
    }
    await this.gone();
  }

  /** Waits until every process of the group has exited (npm exits before the node process it started). */
  async gone(timeoutMs = 30_000): Promise<void> {
    const group = this.child.pid;
    if (group === undefined) return;
    for (let waited = 0; waited < timeoutMs; waited += 50) {
      try {
        process.kill(-group, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Process group ${group} did not exit within ${timeoutMs} ms.`);
  }

  /** CPU time used so far by every process of the group, in clock ticks (Linux /proc). */
  async cpuTicks(): Promise<number> {
    let ticks = 0;
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      // After "pid (comm) ": state, ppid, pgrp, ..., utime (14th field) and stime (15th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === this.child.pid) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks;
  }

  async request(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : JSON.parse(text),
      headers: response.headers,
    };
  }
}
