package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The README's quick start does what it says: its module, served from its {@code application.yml}
 * key, answers its call. The module is taken from the README itself, so the two cannot drift apart.
 */
@ExtendWith(NoLeaks.class)
class ReadmeQuickStartTests {

    @TempDir
    Path temp;

    @Test
    void theQuickStartModuleAnswersTheQuickStartCall() throws IOException {
        String quickStart = section(Files.readString(Path.of("..", "README.md")), "## Quick start");
        Matcher key = Pattern.compile("module: (classpath:(\\S+))").matcher(block(quickStart, "yaml"));
        assertThat(key.find()).as("the quick start's node.module").isTrue();
        // The module where the README puts it, src/main/resources/<path>, is on the class path as <path>.
        Path resources = temp.resolve("resources");
        Path file = resources.resolve(key.group(2));
        Files.createDirectories(file.getParent());
        Files.writeString(file, block(quickStart, "js"));
        assertThat(quickStart).contains("`src/main/resources/" + key.group(2) + "`");
        URLClassLoader classPath = new URLClassLoader(new URL[] {resources.toUri().toURL()}, getClass().getClassLoader());
        new ApplicationContextRunner()
                .withClassLoader(classPath)
                .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class))
                .withPropertyValues("processio.node.module=" + key.group(1))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    NodeBridge bridge = context.getBean(NodeBridge.class);
                    assertThat(bridge.call("slugify", "Hello World", String.class)).isEqualTo("hello-world");
                    assertThat(bridge.call("slugify", "  Spring Boot & Node.js!  ", String.class))
                            .isEqualTo("spring-boot-node-js");
                });
        classPath.close();
    }

    private static String section(String readme, String heading) {
        int start = readme.indexOf("\n" + heading + "\n");
        assertThat(start).as("README has a section " + heading).isNotNegative();
        int end = readme.indexOf("\n## ", start + heading.length() + 2);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static String block(String text, String language) {
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(text);
        assertThat(m.find()).as("a ```" + language + " block").isTrue();
        return m.group(1);
    }
}
