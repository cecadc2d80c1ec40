package dev.processio.autoconfigure;

import dev.processio.BridgeStartupException;
import dev.processio.Dialect;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Explains why a processio pool could not start, and which property to change. The keys it names
 * carry the pool's prefix ({@code processio.} or {@code processio.pools.<name>.}) and fit what the
 * pool runs (Node, Python or a command) and the dialect it speaks, both read from the pool's
 * properties the way {@link ProcessioBridgeFactory} reads them.
 */
class ProcessioFailureAnalyzer extends AbstractFailureAnalyzer<BridgeStartupException> {

    /** The step of an init message, such as {@code init-calls[0] (auth/login)}. */
    private static final Pattern INIT_MESSAGE_STEP = Pattern.compile("(init-calls|init-notifications)\\[\\d+]");

    /** What a pool's workers run. */
    private enum Runs {
        NODE, PYTHON, COMMAND,
        /** The pool's properties could not be read. */
        UNKNOWN
    }

    /** What the pool's properties say: what it runs, and its dialect ({@code null} when unknown). */
    private record Pool(Runs runs, @Nullable Dialect dialect) {
        static final Pool UNKNOWN = new Pool(Runs.UNKNOWN, null);
    }

    private final @Nullable Environment environment;

    /**
     * @param environment the environment of the application that failed, which Spring Boot
     *        passes to failure analyzers; {@code null} when there is none
     */
    ProcessioFailureAnalyzer(@Nullable Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BridgeStartupException cause) {
        String pool = cause.pool();
        boolean named = !ProcessioBridgeFactory.DEFAULT_POOL.equals(pool);
        String prefix = named ? "processio.pools." + pool + "." : "processio.";
        String description = "The processio pool '" + pool + "' could not start its workers.\n\n" + cause.getMessage();
        Pool facts = read(pool, named);
        Runs runs = facts.runs();
        Dialect dialect = facts.dialect();
        String module = switch (runs) {
            case PYTHON -> prefix + "python.module";
            case UNKNOWN -> prefix + "node.module or " + prefix + "python.module";
            case NODE, COMMAND -> prefix + "node.module";
        };
        String action = switch (cause.reason()) {
            case COMMAND_NOT_FOUND -> switch (runs) {
                case NODE -> "Install Node.js 18 or later, or set " + prefix + "node.executable to the full path of"
                        + " node. For a worker that is not Node, set " + prefix + "worker.command.";
                case PYTHON -> "Install Python 3, or set " + prefix + "python.executable to the full path of python.";
                case COMMAND -> "Install the program of " + prefix + "worker.command, or set it to the program's full"
                        + " path: it runs without a shell, so it must be on the application's PATH (npx and uvx too).";
                case UNKNOWN -> "Install the program named above, or set its full path in " + prefix
                        + "node.executable, " + prefix + "python.executable or " + prefix + "worker.command.";
            };
            case NOT_EXECUTABLE -> "Make the program executable, or point " + switch (runs) {
                case NODE -> prefix + "node.executable (or " + prefix + "worker.command)";
                case PYTHON -> prefix + "python.executable";
                case COMMAND -> prefix + "worker.command";
                case UNKNOWN -> prefix + "node.executable, " + prefix + "python.executable or " + prefix
                        + "worker.command";
            } + " at one that is.";
            case MODULE_NOT_FOUND -> "Set " + module + " to an existing file, or to a classpath: location such as "
                    + (runs == Runs.PYTHON ? "classpath:py/handlers.py." : "classpath:js/handlers.mjs.");
            case MODULE_LOAD_FAILED -> "Fix the module named in " + module + "; the worker's error output above says"
                    + " what went wrong while loading it.";
            case PROTOCOL_MISMATCH -> "Run the worker runtime that comes with this processio version, or update the"
                    + " worker program in " + prefix + "worker.command to speak wire protocol 1.";
            case INIT_FAILED -> initFailed(prefix, dialect, cause.step());
            case LIMITS_UNAVAILABLE -> "Unset the " + prefix + "worker.limits.* key named above, or run the application"
                    + " where it can be applied: Linux with /proc, and prlimit (util-linux) on the PATH.";
            case READY_TIMEOUT -> readyTimeout(prefix, dialect, cause.step());
            case EXITED_BEFORE_READY, ABORTED -> "Check the worker's error output above, and " + switch (runs) {
                case NODE -> module + " (or " + prefix + "worker.command).";
                case PYTHON -> module + ".";
                case COMMAND -> prefix + "worker.command" + (dialect == Dialect.PROCESSIO ? ""
                        : " and the arguments that make the server talk over stdio") + ".";
                case UNKNOWN -> prefix + "worker.command / " + prefix + "node.module / " + prefix
                        + "python.module.";
            };
        };
        return new FailureAnalysis(description, action, cause);
    }

    private static String initFailed(String prefix, @Nullable Dialect dialect, @Nullable String step) {
        if (step == null) {
            return "Check " + prefix + "worker.init-calls and " + prefix + "worker.dialect against what the server"
                    + " expects; the message above says which start-up step failed.";
        }
        Matcher message = INIT_MESSAGE_STEP.matcher(step);
        if (message.lookingAt()) {
            return "The start-up step " + step + " failed. Fix " + prefix + "worker." + message.group()
                    + " (its method, and params or params-json) to what the server expects, or remove it.";
        }
        String action = "The start-up step " + step + " failed. Check that " + prefix
                + "worker.dialect is the protocol the server speaks";
        if (dialect == Dialect.MCP || step.startsWith("mcp")) {
            action += ", and that " + prefix + "worker.mcp.protocol-version, if set, is a version the server"
                    + " supports (unset, the newest version both sides speak is used)";
        }
        return action + ".";
    }

    private static String readyTimeout(String prefix, @Nullable Dialect dialect, @Nullable String step) {
        String action;
        if (step != null) {
            action = "The worker did not finish the start-up step " + step + " in time. ";
        } else if (dialect == Dialect.PROCESSIO) {
            action = "Make sure the worker sends processio/ready once it has loaded. ";
        } else {
            action = "";
        }
        return action + "If starting is just slow, raise " + prefix + "worker.startup-timeout, which covers the"
                + " dialect's start-up and the init calls: a server launched through npx (or uvx) may first download"
                + " its package, which takes seconds.";
    }

    /** Reads the pool's properties as {@link ProcessioBridgeFactory} does. */
    private Pool read(String pool, boolean named) {
        if (environment == null) {
            return Pool.UNKNOWN;
        }
        try {
            Binder binder = Binder.get(environment);
            PoolProperties top = binder.bind("processio", Bindable.of(PoolProperties.class))
                    .orElseGet(PoolProperties::new);
            PoolProperties own = named ? binder.bind("processio.pools." + pool, Bindable.of(PoolProperties.class))
                    .orElseGet(PoolProperties::new) : null;
            PoolProperties source = PoolProperties.workerSource(top, own);
            List<String> command = source.getWorker().getCommand();
            Runs runs = StringUtils.hasText(source.getPython().getModule()) ? Runs.PYTHON
                    : command != null && !command.isEmpty() ? Runs.COMMAND : Runs.NODE;
            Dialect dialect = own != null && own.getWorker().getDialect() != null ? own.getWorker().getDialect()
                    : top.getWorker().getDialect() != null ? top.getWorker().getDialect() : Dialect.PROCESSIO;
            return new Pool(runs, dialect);
        } catch (RuntimeException unreadable) {
            // A failure analysis must not fail: the keys of every runtime are named instead.
            return Pool.UNKNOWN;
        }
    }
}
