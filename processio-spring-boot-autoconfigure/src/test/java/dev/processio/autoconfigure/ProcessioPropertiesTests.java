package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.processio.InitMessage;
import dev.processio.NodeBridgeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;
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
            "processio.python.module", "processio.worker.command", "processio.worker.init-calls",
            "processio.worker.init-notifications", "processio.worker.cancel-notification.method",
            "processio.worker.mcp.protocol-version", "processio.worker.working-directory",
            "processio.worker.environment", "processio.worker.limits.memory", "processio.worker.limits.cpu-time",
            "processio.worker.limits.open-files", "processio.worker.limits.processes", "processio.health-check.method");

    private static final Path MODULE = Path.of("x.mjs");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    // ---- documented defaults ---------------------------------------------------------------------

    @Test
    void everyDefaultInTheMetadataIsTheBuilderDefault() throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>();
        Set<String> withoutDefault = new TreeSet<>();
        for (JsonNode property : poolProperties()) {
            String name = property.get("name").asString();
            assertThat(property.path("description").asString()).as(name).isNotBlank();
            JsonNode value = property.get("defaultValue");
            if (value != null && value.isArray()) {
                defaults.put(name, String.join(",", value.valueStream().map(JsonNode::asString).toList()));
            } else if (value != null) {
                defaults.put(name, value.asString());
            } else {
                withoutDefault.add(name);
            }
        }
        assertThat(withoutDefault).isEqualTo(new TreeSet<>(WITHOUT_DEFAULT));
        assertThat(defaults).hasSize(39);
        assertThat(optionsFrom(defaults)).usingRecursiveComparison().isEqualTo(coreDefaults());
    }

    @Test
    void everyDefaultInTheReadmeIsTheBuilderDefault() throws IOException {
        // | `processio.pool.max-workers` | `maxWorkers` | 4 | meaning |
        Pattern row = Pattern.compile("(?m)^\\| `(processio\\.[a-z.-]+)` \\| `\\w+` \\|([^|]*)\\|");
        Pattern value = Pattern.compile("`?(\\w+?|\\d+(?:\\.\\d+)?) ?(ms|s|min|KiB|MiB)?`?(?: \\(off\\))?");
        // `PATH`, `HOME`, `LC_*`
        Pattern list = Pattern.compile("`[^`,]+`(?:, `[^`,]+`)+");
        Map<String, String> units = Map.of("ms", "ms", "s", "s", "min", "m", "KiB", "KB", "MiB", "MB");
        Map<String, String> defaults = new LinkedHashMap<>();
        Set<String> withoutDefault = new TreeSet<>();
        Matcher rows = row.matcher(Files.readString(Path.of("..", "README.md")));
        while (rows.find()) {
            String text = rows.group(2).strip();
            Matcher m = value.matcher(text);
            if (text.isEmpty() || text.equals("none") || text.equals("the JVM's")) {
                withoutDefault.add(rows.group(1));
            } else if (list.matcher(text).matches()) {
                defaults.put(rows.group(1), text.replace("`", "").replace(", ", ","));
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

    @Test
    void workerLimitsBindWithUnitsAndANamedPoolInheritsEachOnItsOwn() {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.worker.limits.memory=256MB", "processio.worker.limits.cpu-time=30s",
                "processio.worker.limits.open-files=512",
                "processio.pools.render.worker.limits.memory=1GB", "processio.pools.render.worker.limits.processes=8");
        NodeBridgeOptions top = factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL);
        assertThat(top.limitsMemory()).isEqualTo(256L << 20);
        assertThat(top.limitsCpuTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(top.limitsOpenFiles()).isEqualTo(512);
        assertThat(top.limitsProcesses()).isZero();
        NodeBridgeOptions render = factory(environment).options("render");
        assertThat(render.limitsMemory()).isEqualTo(1L << 30);
        assertThat(render.limitsCpuTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(render.limitsOpenFiles()).isEqualTo(512);
        assertThat(render.limitsProcesses()).isEqualTo(8);
        NodeBridgeOptions none = factory(environment("processio.node.module=x.mjs"))
                .options(ProcessioBridgeFactory.DEFAULT_POOL);
        assertThat(none.limitsMemory()).isZero();
        assertThat(none.limitsCpuTime()).isNull();
    }

    @Test
    void aListThatANamedPoolSetsReplacesTheInheritedListAsAWhole() {
        MockEnvironment environment = environment("processio.worker.command=server,--stdio",
                "processio.worker.dialect=json-rpc",
                "processio.worker.init-calls[0].method=auth/login",
                "processio.worker.init-calls[1].method=workspace/open",
                "processio.worker.init-notifications[0].method=ready",
                "processio.pools.fs.worker.init-calls[0].method=fs/mount",
                "processio.pools.fs.worker.command=fs-server");
        NodeBridgeOptions fs = factory(environment).options("fs");
        assertThat(fs.initCalls()).extracting(InitMessage::method).containsExactly("fs/mount");
        assertThat(fs.initNotifications()).extracting(InitMessage::method).containsExactly("ready");
        assertThat(fs.command()).containsExactly("fs-server");
        NodeBridgeOptions top = factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL);
        assertThat(top.initCalls()).extracting(InitMessage::method).containsExactly("auth/login", "workspace/open");
        assertThat(top.command()).containsExactly("server", "--stdio");
    }

    @Test
    void whatTheWorkersRunIsInheritedOnlyWhenANamedPoolSetsNoneOfIt() {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.python.executable=/usr/bin/python3.12",
                "processio.pools.scripts.python.module=handlers.py",
                "processio.pools.server.worker.command=server,--stdio",
                "processio.pools.render.call.timeout=3s");
        NodeBridgeOptions scripts = factory(environment).options("scripts");
        assertThat(scripts.pythonModule()).isEqualTo(Path.of("handlers.py"));
        assertThat(scripts.pythonExecutable()).isEqualTo("/usr/bin/python3.12");
        assertThat(scripts.module()).isNull();
        assertThat(scripts.command()).isNull();
        NodeBridgeOptions server = factory(environment).options("server");
        assertThat(server.command()).containsExactly("server", "--stdio");
        assertThat(server.module()).isNull();
        NodeBridgeOptions render = factory(environment).options("render");
        assertThat(render.module()).isEqualTo(MODULE);
        assertThat(render.pythonModule()).isNull();
    }

    @Test
    void aPythonPoolBesideANodePoolFromYaml() throws IOException {
        NodeBridgeOptions[] pools = optionsFromYaml("""
                processio:
                  node:
                    module: x.mjs
                  call:
                    timeout: 5s
                  pools:
                    scripts:
                      python:
                        module: scripts/handlers.py
                        executable: python3.12
                      pool:
                        max-workers: 2
                      worker:
                        init-notifications:
                          - method: configure
                            params:
                              verbose: true
                              retries: 3
                              paths:
                                home: /srv
                              roots: [/srv, /tmp]
                          - method: warm-up
                            params-json: '{"sizes": [1, 2.50], "strict": false}'
                """, ProcessioBridgeFactory.DEFAULT_POOL, "scripts");
        NodeBridgeOptions node = pools[0];
        NodeBridgeOptions python = pools[1];
        assertThat(node.module()).isEqualTo(MODULE);
        assertThat(node.pythonModule()).isNull();
        assertThat(node.initNotifications()).isEmpty();
        assertThat(python.name()).isEqualTo("scripts");
        assertThat(python.pythonModule()).isEqualTo(Path.of("scripts/handlers.py"));
        assertThat(python.pythonExecutable()).isEqualTo("python3.12");
        assertThat(python.module()).isNull();
        assertThat(python.maxWorkers()).isEqualTo(2);
        assertThat(python.callTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(python.initNotifications()).extracting(InitMessage::method).containsExactly("configure", "warm-up");
        // A params map sends text, whatever YAML made of the values; params-json keeps JSON's types.
        assertThat(json(python.initNotifications().get(0).params()))
                .isEqualTo("{\"verbose\":\"true\",\"retries\":\"3\",\"paths\":{\"home\":\"/srv\"},"
                        + "\"roots\":[\"/srv\",\"/tmp\"]}");
        assertThat(json(python.initNotifications().get(1).params()))
                .isEqualTo("{\"sizes\":[1,2.50],\"strict\":false}");
    }

    // ---- init messages ---------------------------------------------------------------------------

    @Test
    void paramsAreAnObjectOfStringsAndParamsJsonKeepsItsTypes() {
        MockEnvironment environment = environment("processio.worker.command=server",
                "processio.worker.dialect=mcp",
                "processio.worker.init-calls[0].method=auth/login",
                "processio.worker.init-calls[0].params.client=processio",
                "processio.worker.init-calls[0].params.client-info.name=app",
                "processio.worker.init-calls[0].params.client-info.version=2",
                "processio.worker.init-calls[0].params.roots[0]=/srv",
                "processio.worker.init-calls[0].params.roots[1]=/tmp",
                "processio.worker.init-calls[0].params.by-number.1=one",
                "processio.worker.init-calls[1].method=workspace/open",
                "processio.worker.init-calls[1].params-json="
                        + "{\"roots\": [\"/srv\"], \"depth\": 3, \"watch\": true, \"ratio\": 0.5, \"label\": null}",
                "processio.worker.init-calls[2].method=ping");
        List<InitMessage> calls = factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL).initCalls();
        assertThat(calls).extracting(InitMessage::method).containsExactly("auth/login", "workspace/open", "ping");
        // Indexes give arrays; other keys, even numbers, objects.
        JsonNode strings = JSON.valueToTree(calls.get(0).params());
        assertThat(strings).isEqualTo(JSON.readTree("""
                {"client": "processio", "client-info": {"name": "app", "version": "2"},
                 "roots": ["/srv", "/tmp"], "by-number": {"1": "one"}}"""));
        JsonNode typed = (JsonNode) calls.get(1).params();
        assertThat(typed.get("roots").isArray()).isTrue();
        assertThat(typed.get("depth").isIntegralNumber()).isTrue();
        assertThat(typed.get("depth").asInt()).isEqualTo(3);
        assertThat(typed.get("watch").isBoolean()).isTrue();
        assertThat(typed.get("ratio").isNumber()).isTrue();
        assertThat(typed.get("label").isNull()).isTrue();
        assertThat(json(typed))
                .isEqualTo("{\"roots\":[\"/srv\"],\"depth\":3,\"watch\":true,\"ratio\":0.5,\"label\":null}");
        assertThat(calls.get(2).params()).isNull();
    }

    @Test
    void paramsAndParamsJsonOnOneEntryFailNamingTheEntry() {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.pools.fs.worker.command=fs-server",
                "processio.pools.fs.worker.dialect=json-rpc",
                "processio.pools.fs.worker.init-calls[0].method=auth/login",
                "processio.pools.fs.worker.init-calls[0].params.client=x",
                "processio.pools.fs.worker.init-calls[0].params-json={\"client\": \"x\"}");
        assertThatThrownBy(() -> factory(environment).options("fs"))
                .isInstanceOfSatisfying(InvalidProcessioPropertiesException.class,
                        e -> assertThat(e.pool()).isEqualTo("fs"))
                .hasMessage("processio.pools.fs.worker.init-calls[0] sets both params and params-json;"
                        + " set only one of them");
    }

    @Test
    void paramsJsonThatIsNotJsonFailsNamingTheKeyAndTheParseError() {
        MockEnvironment environment = environment("processio.worker.command=server",
                "processio.worker.init-notifications[0].method=ready",
                "processio.worker.init-notifications[1].method=configure",
                "processio.worker.init-notifications[1].params-json={\"level\": 3,}");
        assertThatThrownBy(() -> factory(environment).options(ProcessioBridgeFactory.DEFAULT_POOL))
                .isInstanceOf(InvalidProcessioPropertiesException.class)
                .hasMessageStartingWith("processio.worker.init-notifications[1].params-json is not valid JSON: ")
                .hasMessageContaining("Unexpected character ('}'")
                .hasMessageEndingWith(" at line 1, column 13");
        MockEnvironment trailing = environment("processio.worker.command=server",
                "processio.worker.init-calls[0].method=configure",
                "processio.worker.init-calls[0].params-json={} {}");
        assertThatThrownBy(() -> factory(trailing).options(ProcessioBridgeFactory.DEFAULT_POOL))
                .hasMessageStartingWith("processio.worker.init-calls[0].params-json is not valid JSON: ");
    }

    @Test
    void anInitMessageWithoutAMethodFailsNamingItsKey() {
        MockEnvironment environment = environment("processio.worker.command=server",
                "processio.pools.fs.worker.init-calls[0].method=auth/login",
                "processio.pools.fs.worker.init-calls[1].params.client=x");
        assertThatThrownBy(() -> factory(environment).options("fs"))
                .isInstanceOf(InvalidProcessioPropertiesException.class)
                .hasMessage("processio.pools.fs.worker.init-calls[1].method must be set");
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
        return metadata().get("properties").valueStream()
                .filter(p -> p.get("name").asString().startsWith("processio."))
                .filter(p -> !Set.of("processio.enabled", "processio.pools").contains(p.get("name").asString()))
                .toList();
    }

    /** The generated IDE metadata, with the additional metadata merged in. */
    private static JsonNode metadata() throws IOException {
        try (InputStream in = ProcessioPropertiesTests.class.getResourceAsStream(
                "/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("spring-configuration-metadata.json").isNotNull();
            return JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    /** The options of {@code pools}, from an {@code application.yml}. */
    private static NodeBridgeOptions[] optionsFromYaml(String yaml, String... pools) throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        for (PropertySource<?> source : new YamlPropertySourceLoader().load("application.yml",
                new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))) {
            environment.getPropertySources().addFirst(source);
        }
        ProcessioProperties properties = Binder.get(environment).bindOrCreate("processio", ProcessioProperties.class);
        ProcessioBridgeFactory factory = new ProcessioBridgeFactory(properties, environment,
                new DefaultResourceLoader(), null, null, List.of());
        return Arrays.stream(pools).map(factory::options).toArray(NodeBridgeOptions[]::new);
    }

    /** The options that these values of {@code processio.*} give, through the starter's mapping. */
    private static NodeBridgeOptions optionsFrom(Map<String, String> values) {
        PoolProperties bound = new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("processio", PoolProperties.class);
        NodeBridgeOptions.Builder builder = NodeBridgeOptions.builder().module(MODULE);
        bound.applyTo(builder, "processio.");
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
