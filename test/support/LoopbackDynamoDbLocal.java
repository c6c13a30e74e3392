import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts AWS's DynamoDB Local in memory, without telemetry, listening on 127.0.0.1 only.
 * DynamoDB Local has no option for its bind address (Jetty's default is every interface),
 * so this replaces the server's connector before it starts. Prints "ready <port>".
 * Run as a single-file program: java -cp DynamoDBLocal.jar LoopbackDynamoDbLocal.java [options]
 * Extra options (e.g. -sharedDb: one database whatever the caller's credentials) are passed on.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String[] base = {"-inMemory", "-disableTelemetry", "-port", "8000"};
    String[] options = java.util.Arrays.copyOf(base, base.length + args.length);
    System.arraycopy(args, 0, options, base.length, args.length);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(options);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    ServerConnector loopback = new ServerConnector(server);
    loopback.setHost("127.0.0.1");
    loopback.setPort(0);
    server.setConnectors(new Connector[] {loopback});
    proxy.safeStart();
    System.out.println("ready " + loopback.getLocalPort());
    System.out.flush();
    proxy.join();
  }
}
