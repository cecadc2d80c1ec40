package dev.processio;

import java.util.Map;

/**
 * What a worker said about itself when it started. Immutable.
 *
 * <ul>
 *   <li>MCP: {@code serverInfo}, the negotiated protocol version and {@code capabilities} from the
 *       {@code initialize} result, or from {@code server/discover} in the stateless revision;</li>
 *   <li>processio: name {@code processio}, the runtime (such as {@code node 20.20.2}) as the
 *       version, protocol {@code 1}, and the {@code methods} it serves, when it lists them, as a
 *       capability;</li>
 *   <li>json-rpc: nothing is known, so a worker of that dialect has none.</li>
 * </ul>
 *
 * @param name the server's name, or {@code null}
 * @param version the server's version, or {@code null}
 * @param protocolVersion the protocol version in use
 * @param capabilities the server's capabilities as plain JSON values (maps, lists, strings, numbers)
 */
public record ServerInfo(String name, String version, String protocolVersion, Map<String, Object> capabilities) {
}
