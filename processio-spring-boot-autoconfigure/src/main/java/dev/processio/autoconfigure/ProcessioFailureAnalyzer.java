package dev.processio.autoconfigure;

import dev.processio.BridgeStartupException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains why a processio pool could not start, and which property to change. */
class ProcessioFailureAnalyzer extends AbstractFailureAnalyzer<BridgeStartupException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BridgeStartupException cause) {
        String pool = cause.pool();
        String prefix = ProcessioBridgeFactory.DEFAULT_POOL.equals(pool) ? "processio." : "processio.pools." + pool + ".";
        String description = "The processio pool '" + pool + "' could not start its workers.\n\n" + cause.getMessage();
        String action = switch (cause.reason()) {
            case COMMAND_NOT_FOUND -> "Install Node.js 18 or later, or set " + prefix
                    + "node.executable to the full path of node. For a worker that is not Node, set " + prefix
                    + "worker.command.";
            case NOT_EXECUTABLE -> "Make the program executable, or point " + prefix + "node.executable (or "
                    + prefix + "worker.command) at one that is.";
            case MODULE_NOT_FOUND -> "Set " + prefix + "node.module to an existing file, or to a classpath: location"
                    + " such as classpath:js/handlers.mjs.";
            case MODULE_LOAD_FAILED -> "Fix the module named in " + prefix + "node.module; the worker's error output"
                    + " above says what went wrong while loading it.";
            case PROTOCOL_MISMATCH -> "Run the worker runtime that comes with this processio version, or update the"
                    + " worker program in " + prefix + "worker.command to speak wire protocol 1.";
            case INIT_FAILED -> "Fix the start-up step named above (" + cause.step() + "): check " + prefix
                    + "worker.init-calls and " + prefix + "worker.dialect against what the server expects.";
            case READY_TIMEOUT -> "Make sure the worker sends processio/ready once it has loaded, or raise " + prefix
                    + "worker.startup-timeout if loading is slow.";
            case EXITED_BEFORE_READY, ABORTED -> "Check the worker's error output above, and " + prefix
                    + "worker.command / " + prefix + "node.module.";
        };
        return new FailureAnalysis(description, action, cause);
    }
}
