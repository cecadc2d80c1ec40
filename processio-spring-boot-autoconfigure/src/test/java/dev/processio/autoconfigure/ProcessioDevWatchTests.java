package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code processio.dev.watch} through the starter: the key, its DevTools default, and that a module
 * inside a jar is never watched.
 */
@ExtendWith({NoLeaks.class, OutputCaptureExtension.class})
class ProcessioDevWatchTests {

    private static final String MODULE = "processio.node.module=classpath:js/handlers.mjs";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class));

    @TempDir
    Path temp;

    @Test
    void theKeyBindsAndTheWorkersFollowTheModule() throws IOException {
        Path module = Files.writeString(temp.resolve("greet.mjs"), "export function greet() { return 'hello'; }\n");
        runner.withPropertyValues("processio.node.module=" + module, "processio.dev.watch=true").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(options(context).devWatch()).isTrue();
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.call("greet", null, String.class)).isEqualTo("hello");
            Files.writeString(module, "export function greet() { return 'hello again'; }\n");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.call("greet", null, String.class).equals("hello again"));
            assertThat(bridge.snapshot().devWatch().lastChanged()).containsExactly("greet.mjs");
        });
    }

    @Test
    void withoutDevToolsTheModuleIsNotWatched() {
        runner.withClassLoader(new FilteredClassLoader(ProcessioBridgeFactory.DEVTOOLS_CLASS))
                .withPropertyValues(MODULE)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(options(context).devWatch()).isFalse();
                    assertThat(context.getBean(NodeBridge.class).snapshot().devWatch()).isNull();
                });
    }

    @Test
    void withDevToolsTheModuleIsWatchedUnlessTheKeySaysNo() throws Exception {
        try (URLClassLoader devTools = devToolsOnTheClasspath()) {
            runner.withClassLoader(devTools).withPropertyValues(MODULE).run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(options(context).devWatch()).isTrue();
                assertThat(context.getBean(NodeBridge.class).snapshot().devWatch().directory())
                        .isEqualTo(Path.of(getClass().getResource("/js/handlers.mjs").toURI()).getParent());
            });
            runner.withClassLoader(devTools).withPropertyValues(MODULE, "processio.dev.watch=false").run(context ->
                    assertThat(options(context).devWatch()).isFalse());
            // A worker command is the application's own program: DevTools does not turn the watch on for it.
            runner.withClassLoader(devTools).withPropertyValues("processio.worker.command=node,-e,0",
                    "processio.pool.min-workers=0").run(context -> assertThat(options(context).devWatch()).isFalse());
        }
    }

    @Test
    void whenDevToolsStaysOffTheModuleIsNotWatched() throws Exception {
        // As in an application's own tests: DevTools is on the class path, and decides not to run.
        try (URLClassLoader devTools = devToolsThatSays(false)) {
            runner.withClassLoader(devTools).withPropertyValues(MODULE).run(context ->
                    assertThat(options(context).devWatch()).isFalse());
        }
    }

    @Test
    void aNamedPoolThatRunsACommandTakesTheTopLevelWatchAsOffWithoutAWarning(CapturedOutput output) {
        runner.withPropertyValues(MODULE, "processio.dev.watch=true",
                "processio.pools.tools.worker.command=node,-e,0", "processio.pools.tools.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ProcessioBridgeFactory factory = context.getBean(ProcessioBridgeFactory.class);
                    assertThat(factory.options(ProcessioBridgeFactory.DEFAULT_POOL).devWatch()).isTrue();
                    assertThat(factory.options("tools").devWatch()).isFalse();
                });
        assertThat(output).doesNotContain("a worker command is not watched");
    }

    @Test
    void aModuleInsideAJarIsNeverWatched(CapturedOutput output) throws Exception {
        Path jar = temp.resolve("modules.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out)) {
            jarOut.putNextEntry(new JarEntry("packed/"));
            jarOut.closeEntry();
            jarOut.putNextEntry(new JarEntry("packed/app.mjs"));
            jarOut.write("export function ok() { return true; }\n".getBytes(StandardCharsets.UTF_8));
            jarOut.closeEntry();
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            runner.withClassLoader(loader)
                    .withPropertyValues("processio.node.module=classpath:packed/app.mjs", "processio.dev.watch=true")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        NodeBridge bridge = context.getBean(NodeBridge.class);
                        assertThat(bridge.call("ok", null, Boolean.class)).isTrue();
                        assertThat(bridge.snapshot().devWatch()).isNull();
                        assertThat(Thread.getAllStackTraces().keySet())
                                .noneMatch(t -> t.getName().equals("processio-default-watch"));
                    });
        }
        assertThat(output).contains("[default] processio.dev.watch is on, but the module is inside a jar and runs"
                + " from a copy; it is not watched");
    }

    private static dev.processio.NodeBridgeOptions options(AssertableApplicationContext context) {
        return context.getBean(ProcessioBridgeFactory.class).options(ProcessioBridgeFactory.DEFAULT_POOL);
    }

    /** A class loader with a stand-in of DevTools that says it is active, as it does in an application's main thread. */
    private URLClassLoader devToolsOnTheClasspath() throws IOException {
        return devToolsThatSays(true);
    }

    /**
     * A class loader that has the class with which the starter asks DevTools whether it is active:
     * DevTools itself is not a dependency of this build, so a stand-in of that name is compiled here.
     */
    private URLClassLoader devToolsThatSays(boolean active) throws IOException {
        String name = ProcessioBridgeFactory.DEVTOOLS_CLASS;
        int dot = name.lastIndexOf('.');
        Path source = temp.resolve("src").resolve(name.replace('.', '/') + ".java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "package " + name.substring(0, dot) + ";\npublic final class " + name.substring(dot + 1)
                + " {\n    public static boolean shouldEnable(Thread thread) {\n        return " + active + ";\n    }\n}\n");
        Path classes = Files.createDirectories(temp.resolve("classes-" + active));
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                source.toString())).isZero();
        return new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
    }
}
