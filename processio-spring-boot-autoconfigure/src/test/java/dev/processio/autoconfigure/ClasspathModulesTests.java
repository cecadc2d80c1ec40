package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

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

/** Copies of classpath modules live in private directories named for this JVM, deleted at close. */
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
            Path module = modules.resolve("default", "processio.", "classpath:js/app.mjs");
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
            assertThat(modules.resolve("default", "processio.", file.toString())).isEqualTo(file);
        }
    }
}
