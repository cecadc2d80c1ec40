package dev.processio.pool;

import dev.processio.support.PrivateTempDirectories;
import java.nio.file.Path;

/**
 * A JVM that makes processio's temporary directories under its {@code java.io.tmpdir}.
 *
 * <p>{@code hold}: extracts the Node runtime and makes a module directory, prints both paths, then
 * waits for the end of its stdin and closes them; a test kills it while it waits. {@code once}:
 * extracts the runtime, closes it and exits, as a JVM that starts and stops cleanly would.
 */
public final class TempDirectoryMaker {

    private TempDirectoryMaker() {
    }

    public static void main(String[] args) throws Exception {
        BundledRuntime runtime = BundledRuntime.extract(BundledRuntime.Kind.NODE);
        System.out.println(runtime.script().getParent());
        if (args[0].equals("hold")) {
            Path module = PrivateTempDirectories.create("module");
            System.out.println(module);
            System.out.flush();
            while (System.in.read() >= 0) {
                // Until the test closes our stdin, or kills us.
            }
            PrivateTempDirectories.delete(module);
        }
        runtime.close();
    }
}
