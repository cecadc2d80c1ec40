package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.testing.NoLeaks;
import java.io.IOException;
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
        String module = block(quickStart, "js");
        assertThat(block(quickStart, "yaml")).contains("module: classpath:js/text.mjs");
        Path js = Files.createDirectories(temp.resolve("js"));
        Files.writeString(js.resolve("text.mjs"), module);
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class))
                .withPropertyValues("processio.node.module=" + js.resolve("text.mjs"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    NodeBridge bridge = context.getBean(NodeBridge.class);
                    assertThat(bridge.call("slugify", "Hello World", String.class)).isEqualTo("hello-world");
                    assertThat(bridge.call("slugify", "  Spring Boot & Node.js!  ", String.class))
                            .isEqualTo("spring-boot-node-js");
                });
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
