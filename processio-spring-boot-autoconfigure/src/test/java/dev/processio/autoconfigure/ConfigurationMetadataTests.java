package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.Dialect;
import dev.processio.NodeBridgeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.io.Resource;
import org.springframework.util.ClassUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an IDE shows for the starter's keys: the generated metadata merged with
 * {@code additional-spring-configuration-metadata.json}. Every key is described, every key with a
 * closed set of values lists exactly that set, each listed value binds, and every hint and
 * deprecation points at a key that exists.
 */
class ConfigurationMetadataTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void everyKeyOfTheStarterHasADescription() throws IOException {
        List<JsonNode> properties = ownProperties();
        assertThat(properties).hasSizeGreaterThan(50);
        assertThat(properties).allSatisfy(p -> assertThat(p.path("description").asString())
                .as(p.get("name").asString()).isNotBlank());
    }

    @Test
    void everyKeyOfTheAdditionalMetadataIsAGeneratedKey() throws IOException {
        Set<String> generated = ownProperties().stream().map(p -> p.get("name").asString()).collect(Collectors.toSet());
        JsonNode additional = read("/META-INF/additional-spring-configuration-metadata.json");
        assertThat(additional.get("properties").valueStream().map(p -> p.get("name").asString()))
                .allSatisfy(name -> assertThat(generated).as("a key of the additional metadata").contains(name));
        assertThat(additional.get("hints").valueStream().map(h -> h.get("name").asString()))
                .allSatisfy(name -> assertThat(generated).as("a hinted key").contains(name));
        // The processor merges the file only when it compiles; a build that skipped that is stale.
        Map<String, JsonNode> merged = hints();
        assertThat(additional.get("hints").valueStream()).allSatisfy(hint -> assertThat(merged.get(hint.get("name")
                .asString())).as("merged hint, rebuild if missing").isEqualTo(hint));
    }

    @Test
    void everyEnumKeyListsExactlyItsConstantsEachDescribedAndEachBinds() throws IOException {
        Map<String, Class<?>> enumKeys = new LinkedHashMap<>();
        for (JsonNode property : ownProperties()) {
            Class<?> type = type(property);
            if (type != null && type.isEnum()) {
                enumKeys.put(property.get("name").asString(), type);
            }
        }
        assertThat(enumKeys).containsKeys("processio.io.backpressure", "processio.worker.dialect",
                "management.endpoint.processio.access");
        Map<String, JsonNode> hints = hints();
        enumKeys.forEach((key, type) -> {
            assertThat(hints).as("hints of " + key).containsKey(key);
            JsonNode values = hints.get(key).get("values");
            assertThat(values.valueStream().map(v -> v.get("value").asString()).toList()).as(key)
                    .containsExactly(Arrays.stream(type.getEnumConstants()).map(c -> spelling((Enum<?>) c))
                            .toArray(String[]::new));
            assertThat(values.valueStream()).as(key).allSatisfy(v -> assertThat(v.path("description").asString())
                    .isNotBlank());
            for (Object constant : type.getEnumConstants()) {
                String value = spelling((Enum<?>) constant);
                assertThat(bind(key, value, type)).as(key + "=" + value).isEqualTo(constant);
            }
        });
    }

    @Test
    void theDialectHintsAreSpelledAsTheDialectsKeys() throws IOException {
        assertThat(hints().get("processio.worker.dialect").get("values").valueStream()
                .map(v -> v.get("value").asString()).toList())
                .containsExactly(Arrays.stream(Dialect.values()).map(Dialect::key).toArray(String[]::new));
    }

    @Test
    void theMcpVersionHintsAreTheVersionsTheEngineSpeaksNewestFirst() throws Exception {
        List<String> spoken = new ArrayList<>(engineVersions("STATELESS_VERSIONS"));
        spoken.addAll(engineVersions("INITIALIZE_VERSIONS"));
        JsonNode values = hints().get("processio.worker.mcp.protocol-version").get("values");
        assertThat(values.valueStream().map(v -> v.get("value").asString()).toList()).isEqualTo(spoken);
        assertThat(values.valueStream()).allSatisfy(v -> assertThat(v.path("description").asString()).isNotBlank());
        for (String version : spoken) {
            PoolProperties bound = new Binder(new MapConfigurationPropertySource(Map.of(
                    "processio.worker.dialect", "mcp", "processio.worker.mcp.protocol-version", version)))
                    .bindOrCreate("processio", PoolProperties.class);
            NodeBridgeOptions.Builder builder = NodeBridgeOptions.builder().command("server");
            bound.applyTo(builder, "processio.");
            assertThat(builder.build().mcpProtocolVersion()).isEqualTo(version);
        }
    }

    @Test
    void theModulesAreHandledAsResourcesSoThatClasspathLocationsComplete() throws IOException {
        Map<String, JsonNode> hints = hints();
        for (String key : List.of("processio.node.module", "processio.python.module")) {
            assertThat(hints).as(key).containsKey(key);
            JsonNode provider = hints.get(key).get("providers").get(0);
            assertThat(provider.get("name").asString()).isEqualTo("handle-as");
            assertThat(provider.at("/parameters/target").asString()).isEqualTo(Resource.class.getName());
        }
    }

    @Test
    void everyHintOffersValuesOrAProviderThatSpringBootDocuments() throws IOException {
        Set<String> providers = Set.of("any", "class-reference", "handle-as", "logger-name",
                "spring-bean-reference", "spring-profile-name");
        assertThat(hints().values()).allSatisfy(hint -> {
            String name = hint.get("name").asString();
            assertThat(hint.path("values").size() + hint.path("providers").size()).as(name).isPositive();
            assertThat(hint.path("providers").valueStream().map(p -> p.get("name").asString()))
                    .as(name).allSatisfy(p -> assertThat(providers).contains(p));
        });
    }

    @Test
    void aDeprecatedKeyNamesAReplacementThatExists() throws IOException {
        Set<String> names = ownProperties().stream().map(p -> p.get("name").asString()).collect(Collectors.toSet());
        assertThat(ownProperties().stream().filter(p -> p.has("deprecation")))
                .allSatisfy(p -> {
                    JsonNode deprecation = p.get("deprecation");
                    assertThat(deprecation.path("level").asString("warning")).isIn("warning", "error");
                    assertThat(names).as(p.get("name").asString()).contains(deprecation.path("replacement").asString());
                });
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The keys this module defines: processio.* and the endpoint's. */
    private static List<JsonNode> ownProperties() throws IOException {
        return read("/META-INF/spring-configuration-metadata.json").get("properties").valueStream()
                .filter(p -> p.get("name").asString().startsWith("processio.")
                        || p.get("name").asString().startsWith("management.endpoint.processio."))
                .toList();
    }

    private static Map<String, JsonNode> hints() throws IOException {
        Map<String, JsonNode> hints = new LinkedHashMap<>();
        read("/META-INF/spring-configuration-metadata.json").get("hints").valueStream()
                .forEach(h -> assertThat(hints.put(h.get("name").asString(), h)).as("one hint per key").isNull());
        return hints;
    }

    private static JsonNode read(String resource) throws IOException {
        try (InputStream in = ConfigurationMetadataTests.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The key's type when it is a plain class; {@code null} for generic types such as lists. */
    private static Class<?> type(JsonNode property) {
        String type = property.path("type").asString();
        if (type.isEmpty() || type.contains("<")) {
            return null;
        }
        try {
            return ClassUtils.forName(type.replace('$', '.'), ConfigurationMetadataTests.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new AssertionError("the type of " + property.get("name").asString() + " does not load: " + type, e);
        }
    }

    /** How a constant is written in a properties file: lower case, words joined by '-'. */
    private static String spelling(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * {@code value} bound as {@code key}: through the pool properties for a {@code processio.*} key,
     * so that a hint on a key that binds nowhere fails, and as a bare value of its type otherwise.
     */
    private static Object bind(String key, String value, Class<?> type) {
        Binder binder = new Binder(new MapConfigurationPropertySource(Map.of(key, value)));
        if (!key.startsWith("processio.")) {
            return binder.bind(key, Bindable.of(type)).get();
        }
        PoolProperties bound = binder.bindOrCreate("processio", PoolProperties.class);
        String path = Arrays.stream(key.substring("processio.".length()).split("\\."))
                .map(ConfigurationMetadataTests::camelCase).collect(Collectors.joining("."));
        return PropertyAccessorFactory.forBeanPropertyAccess(bound).getPropertyValue(path);
    }

    private static String camelCase(String kebab) {
        String[] words = kebab.split("-");
        StringBuilder camel = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            camel.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
        }
        return camel.toString();
    }

    /** A list of MCP revisions the engine speaks, read from its package-private protocol class. */
    @SuppressWarnings("unchecked")
    private static List<String> engineVersions(String field) throws ReflectiveOperationException {
        Field versions = Class.forName("dev.processio.pool.McpProtocol").getDeclaredField(field);
        versions.setAccessible(true);
        return (List<String>) versions.get(null);
    }
}
