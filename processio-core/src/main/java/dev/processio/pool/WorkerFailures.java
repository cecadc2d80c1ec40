package dev.processio.pool;

import dev.processio.BridgeStartupException;
import dev.processio.BridgeStartupException.Reason;
import dev.processio.WorkerLostException;
import dev.processio.protocol.JsonRpc;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The exceptions a worker fails with, each with the facts needed to act: the pool name, the
 * worker's pid, its exit code or signal, the tail of its stderr, and the setting to change.
 */
final class WorkerFailures {

    private WorkerFailures() {
    }

    /** The command could not be run at all. */
    static BridgeStartupException launchFailed(String pool, List<String> command, BundledRuntime.Kind runtime,
            IOException e) {
        String text = String.valueOf(e.getMessage());
        Reason reason = text.contains("error=2,") ? Reason.COMMAND_NOT_FOUND
                : text.contains("error=13,") ? Reason.NOT_EXECUTABLE : null;
        if (reason == null) {
            return new BridgeStartupException(pool, Reason.NOT_EXECUTABLE,
                    "cannot start worker " + command + ": " + text, null, "", e);
        }
        return programNotRun(pool, command.get(0), runtime, reason, null, "", e);
    }

    /**
     * prlimit, which the command runs behind when {@code processio.worker.limits.*} are set, could
     * not exec the program: it says so on stderr and exits with 127 (not found) or 126 (not
     * executable). The same failure as {@link #launchFailed} without prlimit. Or it could not set a
     * limit, which the user may not raise that far: {@code LIMITS_UNAVAILABLE}, naming the keys.
     * {@code null} for any other exit.
     *
     * @param program the program prlimit was to run
     */
    static BridgeStartupException prlimitCouldNotRun(String pool, String program, BundledRuntime.Kind runtime,
            ExitStatus status, String tail) {
        Integer code = status.exitCode();
        if (code != null && tail.contains("prlimit: failed to set")) {
            // A soft limit above the hard one that this user may not raise, such as open-files for a non-root user.
            return new BridgeStartupException(pool, Reason.LIMITS_UNAVAILABLE, "cannot apply worker limits: prlimit"
                    + " could not set a limit (" + firstLine(tail, "prlimit: failed to set") + "). Lower"
                    + " processio.worker.limits.open-files or .cpu-time to what the application's user may set"
                    + " (its hard limits, `ulimit -H -n -t`), or unset them.", status.exitValue(), tail, null);
        }
        if (code == null || (code != 126 && code != 127) || !tail.contains("prlimit: failed to execute")) {
            return null;
        }
        return programNotRun(pool, program, runtime, code == 127 ? Reason.COMMAND_NOT_FOUND : Reason.NOT_EXECUTABLE,
                status.exitValue(), tail, null);
    }

    private static String firstLine(String text, String start) {
        int from = text.indexOf(start);
        int end = text.indexOf('\n', from);
        return (end < 0 ? text.substring(from) : text.substring(from, end)).strip();
    }

    private static BridgeStartupException programNotRun(String pool, String program, BundledRuntime.Kind runtime,
            Reason reason, Integer exitCode, String tail, Throwable cause) {
        String key = runtime == BundledRuntime.Kind.NODE ? "processio.node.executable"
                : runtime == BundledRuntime.Kind.PYTHON ? "processio.python.executable" : "processio.worker.command";
        if (reason == Reason.COMMAND_NOT_FOUND) {
            return new BridgeStartupException(pool, reason,
                    "cannot start worker: program '" + program + "' was not found. Install it or set its full path"
                            + " (" + key + ").",
                    exitCode, tail, cause);
        }
        return new BridgeStartupException(pool, reason,
                "cannot start worker: program '" + program + "' is not executable (permission denied)."
                        + " Fix its permissions or point " + key + " at an executable.",
                exitCode, tail, cause);
    }

    static BridgeStartupException readyTimedOut(String pool, String label, Duration startupTimeout, String step,
            String tail) {
        if (JsonRpc.READY.equals(step)) {
            return new BridgeStartupException(pool, Reason.READY_TIMEOUT,
                    label + " did not send processio/ready within " + startupTimeout.toMillis()
                            + " ms (processio.worker.startup-timeout). Is the command a processio worker, and does"
                            + " its module finish loading in time? A server that speaks plain JSON-RPC or MCP needs"
                            + " processio.worker.dialect json-rpc or mcp." + tailSuffix(tail),
                    step, null, tail, null);
        }
        return new BridgeStartupException(pool, Reason.READY_TIMEOUT,
                label + " was not ready within " + startupTimeout.toMillis()
                        + " ms (processio.worker.startup-timeout): start-up step " + step
                        + " got no answer. Launchers such as npx can take seconds to start a server."
                        + tailSuffix(tail),
                step, null, tail, null);
    }

    static BridgeStartupException protocolMismatch(String pool, String label, JsonNode protocol, String tail) {
        return new BridgeStartupException(pool, Reason.PROTOCOL_MISMATCH,
                label + " speaks wire protocol " + protocol + ", but this processio speaks protocol "
                        + JsonRpc.PROTOCOL_VERSION + ". Use the worker runtime that comes with this processio"
                        + " version.",
                null, tail, null);
    }

    /**
     * The process ended before it was ready; exit code 3 from a bundled runtime means that its module
     * failed to load.
     *
     * @param runtime the bundled runtime that the worker runs, or {@code null} for a worker command
     */
    static BridgeStartupException exitedBeforeReady(String pool, String label, BundledRuntime.Kind runtime,
            ExitStatus status, String tail) {
        if (runtime != null && Integer.valueOf(BundledRuntime.EXIT_MODULE_LOAD_FAILED).equals(status.exitCode())) {
            return new BridgeStartupException(pool, Reason.MODULE_LOAD_FAILED,
                    label + " could not load its " + runtime.language + " module (" + runtime.moduleProperty
                            + "); the worker said:\n" + tail,
                    status.exitValue(), tail, null);
        }
        return new BridgeStartupException(pool, Reason.EXITED_BEFORE_READY,
                label + " exited with " + status.describe() + " before it was ready." + tailSuffix(tail),
                status.exitValue(), tail, null);
    }

    /** A held request whose worker broke or died before answering. */
    static WorkerLostException lost(String pool, String label, long pid, WorkerFault fault, ExitStatus status,
            boolean killedByUs, String tail, boolean written, Throwable cause) {
        StringBuilder message = new StringBuilder(label).append(" was lost while it held the call");
        if (fault != null) {
            message.append(": ").append(fault.message());
        }
        if (status != null) {
            message.append(fault == null ? ": it exited with " : "; it exited with ").append(status.describe());
            if (killedByUs) {
                message.append(" (killed by processio)");
            }
        }
        message.append(written ? ". The request had been written to it." : ". The request had not been written.");
        if (!tail.isEmpty()) {
            message.append(" Last stderr lines:\n").append(tail);
        }
        return new WorkerLostException(pool, message.toString(), pid,
                status == null ? null : status.exitCode(), status == null ? null : status.signal(), tail, written,
                cause);
    }

    static String tailSuffix(String tail) {
        return tail.isEmpty() ? " It wrote nothing to stderr." : " Last stderr lines:\n" + tail;
    }
}
