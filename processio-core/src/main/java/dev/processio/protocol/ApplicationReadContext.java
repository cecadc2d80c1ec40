package dev.processio.protocol;

import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TreeNode;
import tools.jackson.core.tree.ArrayTreeNode;
import tools.jackson.core.tree.ObjectTreeNode;
import tools.jackson.core.type.ResolvedType;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.ObjectReader;

/**
 * What the line parsers give a custom deserializer that reads a nested value or tree from them
 * ({@code p.readValueAsTree()}, {@code p.readValueAs(...)}): the application's mapper, so that
 * its modules and settings apply there too.
 *
 * <p>Thread-safe: immutable, one per codec.
 */
final class ApplicationReadContext extends ObjectReadContext.Base {

    private final ObjectMapper mapper;
    /** The application's mapper, reading one value out of a longer line. */
    private final ObjectReader resultReader;

    ApplicationReadContext(ObjectMapper mapper, ObjectReader resultReader) {
        this.mapper = mapper;
        this.resultReader = resultReader;
    }

    @Override
    public ObjectTreeNode createObjectNode() {
        return mapper.createObjectNode();
    }

    @Override
    public ArrayTreeNode createArrayNode() {
        return mapper.createArrayNode();
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T extends TreeNode> T readTree(JsonParser p) {
        return (T) resultReader.readTree(p);
    }

    @Override
    public <T> T readValue(JsonParser p, Class<T> type) {
        return resultReader.forType(type).readValue(p);
    }

    @Override
    public <T> T readValue(JsonParser p, TypeReference<T> type) {
        return resultReader.forType(type).readValue(p);
    }

    @Override
    public <T> T readValue(JsonParser p, ResolvedType type) {
        return resultReader.forType((JavaType) type).readValue(p);
    }
}
