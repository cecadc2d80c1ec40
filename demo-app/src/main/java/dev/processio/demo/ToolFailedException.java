package dev.processio.demo;

/**
 * An MCP tool of a pool's server failed: it answered with {@code isError} (its text says why), or
 * the server refused the call with a JSON-RPC error. Answered as a 502 problem detail.
 */
final class ToolFailedException extends RuntimeException {

    private final String pool;
    private final String tool;

    ToolFailedException(String pool, String tool, String detail, Throwable cause) {
        super(pool + ": tool " + tool + " failed: " + detail, cause);
        this.pool = pool;
        this.tool = tool;
    }

    String pool() {
        return pool;
    }

    String tool() {
        return tool;
    }
}
