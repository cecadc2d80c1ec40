package dev.processio.pool;

/**
 * How a worker process ended. The JVM reports death by signal N as exit value 128 + N; values in
 * 129..159 are read as signals.
 *
 * @param limit the {@code processio.worker.limits.*} limit that explains the end, as a clause for
 *        {@link #describe()}, or {@code null}
 */
record ExitStatus(int exitValue, String limit) {

    ExitStatus(int exitValue) {
        this(exitValue, null);
    }

    /** This status, explained by a limit. */
    ExitStatus withLimit(String limit) {
        return limit == null ? this : new ExitStatus(exitValue, limit);
    }

    /** The signal that ended the process, or {@code null} when it exited by itself. */
    Integer signal() {
        return exitValue > 128 && exitValue < 160 ? exitValue - 128 : null;
    }

    /** The exit code when the process exited by itself, else {@code null}. */
    Integer exitCode() {
        return signal() == null ? exitValue : null;
    }

    String describe() {
        Integer signal = signal();
        String text = signal == null ? "exit code " + exitValue : "signal " + signal + " (" + signalName(signal) + ")";
        return limit == null ? text : text + ": " + limit;
    }

    static String signalName(int signal) {
        return switch (signal) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 14 -> "SIGALRM";
            case 15 -> "SIGTERM";
            case 24 -> "SIGXCPU";
            case 25 -> "SIGXFSZ";
            default -> "SIG" + signal;
        };
    }
}
