package dev.processio.pool;

import dev.processio.io.ProcessIO;
import dev.processio.protocol.RpcCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What every worker of a pool is started with.
 *
 * @param pool pool name, for thread names and messages
 * @param command the program and its arguments; never run through a shell
 * @param workingDirectory working directory, or {@code null} for the JVM's
 * @param inheritEnvironment whether the worker inherits the JVM's environment
 * @param environmentAllowlist the JVM's variables a worker gets when it does not inherit them all;
 *        an entry ending with {@code *} is a prefix
 * @param environment extra environment variables
 * @param logLinesPerSecond how many stderr and stray stdout lines of a worker are logged per second
 * @param startupTimeout how long a worker may take to send {@code processio/ready}
 * @param maxFrameSize frame size limit in bytes, newline included
 * @param io settings of each worker's stdin write path
 * @param codec frame codec
 * @param protocol the pool's dialect: start-up, heartbeat, cancel
 * @param bundledRuntime the bundled runtime that the command runs, whose exit code 3 means that the
 *        user module failed to load; {@code null} for a worker command
 * @param limits the OS limits of {@code processio.worker.limits.*}, which explain some exits; the
 *        command already applies those that prlimit sets
 */
record WorkerSettings(String pool, List<String> command, Path workingDirectory, boolean inheritEnvironment,
        List<String> environmentAllowlist, Map<String, String> environment, int logLinesPerSecond,
        Duration startupTimeout, int maxFrameSize, ProcessIO.Settings io, RpcCodec codec, WorkerProtocol protocol,
        BundledRuntime.Kind bundledRuntime, WorkerLimits limits) {

    /** Without limits. */
    WorkerSettings(String pool, List<String> command, Path workingDirectory, boolean inheritEnvironment,
            List<String> environmentAllowlist, Map<String, String> environment, int logLinesPerSecond,
            Duration startupTimeout, int maxFrameSize, ProcessIO.Settings io, RpcCodec codec,
            WorkerProtocol protocol, BundledRuntime.Kind bundledRuntime) {
        this(pool, command, workingDirectory, inheritEnvironment, environmentAllowlist, environment,
                logLinesPerSecond, startupTimeout, maxFrameSize, io, codec, protocol, bundledRuntime,
                WorkerLimits.NONE);
    }

    WorkerSettings {
        Objects.requireNonNull(pool, "pool");
        command = List.copyOf(command);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must not be empty");
        }
        environmentAllowlist = List.copyOf(environmentAllowlist);
        environment = Map.copyOf(environment);
        Objects.requireNonNull(startupTimeout, "startupTimeout");
        Objects.requireNonNull(io, "io");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(limits, "limits");
    }

    /**
     * Whether the JVM's variable {@code name} is passed to workers: always when they inherit the
     * environment, else when the allow-list names it or one of its entries ending with {@code *}
     * is a prefix of it.
     */
    boolean passesVariable(String name) {
        if (inheritEnvironment) {
            return true;
        }
        for (String entry : environmentAllowlist) {
            boolean prefix = entry.endsWith("*");
            if (prefix ? name.startsWith(entry.substring(0, entry.length() - 1)) : name.equals(entry)) {
                return true;
            }
        }
        return false;
    }
}
