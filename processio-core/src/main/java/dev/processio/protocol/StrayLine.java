package dev.processio.protocol;

/**
 * A stdout line that is not meant as a protocol message: its first non-blank character is neither
 * {@code {} nor {@code [}. Logged and counted, never fatal.
 */
public record StrayLine(String text) implements RpcMessage {
}
