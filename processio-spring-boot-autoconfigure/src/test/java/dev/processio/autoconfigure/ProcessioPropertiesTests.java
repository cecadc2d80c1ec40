package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridgeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.mock.env.MockEnvironment;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How {@code processio.*} becomes {@link NodeBridgeOptions}: the defaults that the IDE metadata and
 * the README show are those of the builder, named pools inherit, and clamps warn with the pool name.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProcessioPropertiesTests {

    /** The keys that have no default: they are unset unless the application sets them. */
    private static final Set<String> WITHOUT_DEFAULT = Set.of("processio.node.module", "processio.node.options",
            "processio.worker.command", "processio.worker.working-directory", "processio.worker.environment");

    private static final Path MODULE = Path.of("x.mjs");

    // ---- documented defaults ---------------------------------------------------------------------

    @Test
    void everyDefaultInTheMetadataIsTheBuilderDefault() throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>();
        Set<String> withoutDefault = new TreeSet<>();
        for (JsonNode property : poolProperties()) {
            String name = property.get("name").asString();
            assertThat(property.path("description").asString()).as(name).isNotBlank();
            if (property.has("defaultValue")) {
                defaults.put(name, property.get("defaultValue").asString());
            } else {
                withoutDefault.add(name);
            }
        }
        assertThat(withoutDefault).isEqualTo(new TreeSet<>(WITHOUT_DEFAULT));
        assertThat(defaults).hasSize(31);
        assertThat(optionsFrom(defaults)).usingRecursiveComparison().isEqualTo(coreDefaults());
    }

    @Test
    void everyDefaultInTheReadmeIsTheBuilderDefault() throws IOException {
        // | `processio.pool.max-workers` | `maxWorkers` | 4 | meaning |
        Pattern row = Pattern.compile("(?m)^\\| `(processio\\.[a-z.-]+)` \\| `\\w+` \\|([^|]*)\\|");
        Pattern value = Pattern.compile("`?(\\w+?|\\d+(?:\\.\\d+)?) ?(ms|s|min|KiB|MiB)?`?(?: \\(off\\))?");
        Map<String, String> units = Map.of("ms", "ms", "s", "s", "min", "m", "KiB", "KB", "MiB", "MB");
        Map<String, String> defaults = new LinkedHashMap<>();
        Set<String> withoutDefault = new TreeSet<>();
        Matcher rows = row.matcher(Files.readString(Path.of("..", "README.md")));
        while (rows.find()) {
            String text = rows.group(2).strip();
            Matcher m = value.matcher(text);
            if (text.isEmpty() || text.equals("none") || text.equals("the JVM's")) {
                withoutDefault.add(rows.group(1));
            } else if (m.matches()) {
                defaults.put(rows.group(1), m.group(1) + (m.group(2) == null ? "" : units.get(m.group(2))));
            } else {
                throw new AssertionError("cannot read the README's default of " + rows.group(1) + ": " + text);
            }
        }
        assertThat(withoutDefault).isEqualTo(new TreeSet<>(WITHOUT_DEFAULT));
        Set<String> metadataKeys = new TreeSet<>();
        poolProperties().forEach(p -> metadataKeys.add(p.get("name").asString()));
        Set<String> readmeKeys = new TreeSet<>(defaults.keySet());
        readmeKeys.addAll(withoutDefault);
        assertThat(readmeKeys).isEqualTo(metadataKeys);
        assertThat(optionsFrom(defaults)).usingRecursiveComparison().isEqualTo(coreDefaults());
    }

    @Test
    void unsetKeysAreNullSoThatTheBuilderDefaultsApply() {
        ProcessioProperties properties = Binder.get(new MockEnvironment())
                .bindOrCreate("processio", ProcessioProperties.class);
        assertThat(properties.getPool().getMaxWorkers()).isNull();
        assertThat(properties.getCall().getTimeout()).isNull();
        assertThat(properties.isEnabled()).isTrue();
    }

    // ---- named pools -----------------------------------------------------------------------------

    @Test
    void aNamedPoolTakesItsOwnKeysThenTheTopLevelOnesThenTheDefaults() {
        MockEnvironment environment = environment("processio.node.module=x.mjs", "processio.call.timeout=7s",
                "processio.node.options=--a", "processio.worker.environment.SHARED=top",
                "processio.worker.environment.TOP=1",
                "processio.pools.render.call.timeout=3s", "processio.pools.render.node.options=--b",
                "processio.pools.render.worker.environment.SHARED=render",
                "processio.pools.render.worker.environment.OWN=2");
        NodeBridgeOptions render = factory(environment).options("render");
        assertThat(render.name()).isEqualTo("render");
        assertThat(render.callTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(render.nodeOptions()).containsExactly("--b");
        // Variables add up, as when the pool's keys were bound over the top-level ones.
        assertThat(render.environment()).isEqualTo(Map.of("SHARED", "render", "TOP", "1", "OWN", "2"));
        assertThat(render.module()).isEqualTo(MODULE);
        assertThat(render.maxWorkers()).isEqualTo(4);

        NodeBridgeOptions top = factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL);
        assertThat(top.callTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(top.environment()).isEqualTo(Map.of("SHARED", "top", "TOP", "1"));
    }

    // ---- clamps ----------------------------------------------------------------------------------

    @Test
    void aQuestionableValueIsClampedWithOneWarningThatNamesThePoolAndTheKey(CapturedOutput output) {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.pools.render.io.write-timeout=20ms");
        assertThat(factory(environment).options("render").writeTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(output.getOut().lines().filter(line -> line.contains("processio.io.write-timeout")))
                .singleElement().asString().contains("WARN").contains("[render] processio.io.write-timeout of 20 ms");
        assertThat(factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL).writeTimeout())
                .isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aMaxFrameSizeBeyondAnIntIsLoweredToTheLargestArray(CapturedOutput output) {
        MockEnvironment environment = environment("processio.node.module=x.mjs", "processio.io.max-frame-size=4GB");
        assertThat(factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL).maxFrameSize())
                .isEqualTo(Integer.MAX_VALUE - 8);
        assertThat(output).contains("[default] processio.io.max-frame-size of " + Integer.MAX_VALUE + " bytes");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The {@code processio.*} keys of a pool in the generated IDE metadata. */
    private static List<JsonNode> poolProperties() throws IOException {
        try (InputStream in = ProcessioPropertiesTests.class.getResourceAsStream(
                "/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("spring-configuration-metadata.json").isNotNull();
            JsonNode metadata = JsonMapper.builder().build().readTree(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
            return metadata.get("properties").valueStream()
                    .filter(p -> p.get("name").asString().startsWith("processio."))
                    .filter(p -> !Set.of("processio.enabled", "processio.pools").contains(p.get("name").asString()))
                    .toList();
        }
    }

    /** The options that these values of {@code processio.*} give, through the starter's mapping. */
    private static NodeBridgeOptions optionsFrom(Map<String, String> values) {
        PoolProperties bound = new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("processio", PoolProperties.class);
        NodeBridgeOptions.Builder builder = NodeBridgeOptions.builder().module(MODULE);
        bound.applyTo(builder);
        return builder.build();
    }

    private static NodeBridgeOptions coreDefaults() {
        return NodeBridgeOptions.builder().module(MODULE).build();
    }

    private static MockEnvironment environment(String... properties) {
        MockEnvironment environment = new MockEnvironment();
        for (String property : properties) {
            String[] keyAndValue = property.split("=", 2);
            environment.setProperty(keyAndValue[0], keyAndValue[1]);
        }
        return environment;
    }

    private static ProcessioBridgeFactory factory(MockEnvironment environment) {
        ProcessioProperties properties = Binder.get(environment).bindOrCreate("processio", ProcessioProperties.class);
        return new ProcessioBridgeFactory(properties, environment, new DefaultResourceLoader(), null, null, List.of());
    }
}
