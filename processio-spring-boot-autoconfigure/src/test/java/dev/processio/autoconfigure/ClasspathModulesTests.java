package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.processio.BridgeStartupException;
import dev.processio.autoconfigure.ClasspathModules.Language;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Copies of classpath modules, Node or Python, live in private directories named for this JVM,
 * deleted at close.
 */
class ClasspathModulesTests {

    @TempDir
    Path temp;

    @Test
    void aModuleInAJarIsCopiedIntoAPrivateDirectoryOfThisJvmAndDeletedAtClose() throws Exception {
        Path jar = temp.resolve("modules.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out)) {
            for (String entry : new String[] {"js/", "js/app.mjs", "js/lib/", "js/lib/helper.mjs"}) {
                jarOut.putNextEntry(new JarEntry(entry));
                if (!entry.endsWith("/")) {
                    jarOut.write(("// " + entry + "\n").getBytes(StandardCharsets.UTF_8));
                }
                jarOut.closeEntry();
            }
        }
        Path directory;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                ClasspathModules modules = new ClasspathModules(new PathMatchingResourcePatternResolver(loader))) {
            Path module = modules.resolve("default", Language.NODE, "processio.", "classpath:js/app.mjs");
            directory = module.getParent();
            assertThat(module).hasContent("// js/app.mjs");
            assertThat(directory.resolve("lib/helper.mjs")).hasContent("// js/lib/helper.mjs");
            assertThat(directory.getFileName().toString())
                    .startsWith("processio-module-" + ProcessHandle.current().pid() + "-");
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)))
                        .isEqualTo("rwx------");
            }
        }
        assertThat(directory).doesNotExist();
    }

    @Test
    void aFileModuleIsUsedWhereItIs() {
        try (ClasspathModules modules = new ClasspathModules(new PathMatchingResourcePatternResolver())) {
            Path file = temp.resolve("handlers.mjs");
            assertThat(modules.resolve("default", Language.NODE, "processio.", file.toString())).isEqualTo(file);
            assertThat(modules.resolve("default", Language.PYTHON, "processio.", file.toString())).isEqualTo(file);
        }
    }

    @Test
    void aPythonModuleInAJarIsCopiedWithTheModulesBesideIt() throws Exception {
        Path jar = temp.resolve("python.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out)) {
            for (String entry : new String[] {"py/", "py/handlers.py", "py/helpers/", "py/helpers/__init__.py",
                    "py/helpers/text.py"}) {
                jarOut.putNextEntry(new JarEntry(entry));
                if (!entry.endsWith("/")) {
                    jarOut.write(("# " + entry + "\n").getBytes(StandardCharsets.UTF_8));
                }
                jarOut.closeEntry();
            }
        }
        Path directory;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                ClasspathModules modules = new ClasspathModules(new PathMatchingResourcePatternResolver(loader))) {
            Path module = modules.resolve("scripts", Language.PYTHON, "processio.pools.scripts.",
                    "classpath:py/handlers.py");
            directory = module.getParent();
            assertThat(module).hasContent("# py/handlers.py");
            assertThat(directory.resolve("helpers/__init__.py")).hasContent("# py/helpers/__init__.py");
            assertThat(directory.resolve("helpers/text.py")).hasContent("# py/helpers/text.py");
        }
        assertThat(directory).doesNotExist();
    }

    @Test
    void aModuleMissingFromTheClasspathNamesTheKeyOfItsLanguage() {
        try (ClasspathModules modules = new ClasspathModules(new PathMatchingResourcePatternResolver())) {
            assertThatThrownBy(() -> modules.resolve("scripts", Language.PYTHON, "processio.pools.scripts.",
                    "classpath:py/missing.py"))
                    .isInstanceOfSatisfying(BridgeStartupException.class, e -> {
                        assertThat(e.reason()).isEqualTo(BridgeStartupException.Reason.MODULE_NOT_FOUND);
                        assertThat(e.pool()).isEqualTo("scripts");
                    })
                    .hasMessageContaining("the Python module classpath:py/missing.py is not on the classpath")
                    .hasMessageContaining("set processio.pools.scripts.python.module");
            assertThatThrownBy(() -> modules.resolve("default", Language.NODE, "processio.",
                    "classpath:js/missing.mjs"))
                    .hasMessageContaining("the Node module classpath:js/missing.mjs")
                    .hasMessageContaining("set processio.node.module");
        }
    }
}
