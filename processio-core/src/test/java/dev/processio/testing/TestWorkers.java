package dev.processio.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Paths of the test worker programs in {@code src/test/resources/workers}. */
public final class TestWorkers {

    private TestWorkers() {
    }

    /** The Node.js executable the tests use: {@code $PROCESSIO_TEST_NODE}, or {@code node} on the PATH. */
    public static String node() {
        String node = System.getenv("PROCESSIO_TEST_NODE");
        return node == null || node.isBlank() ? "node" : node;
    }

    /** A file under {@code workers/}. */
    public static Path file(String name) {
        URL url = TestWorkers.class.getResource("/workers/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no test worker " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code node <workers/script> args...}, for raw scripts that do not use the bundled runtime. */
    public static List<String> rawNode(String script, String... args) {
        List<String> command = new ArrayList<>();
        command.add(node());
        command.add(file(script).toString());
        command.addAll(List.of(args));
        return command;
    }
}
