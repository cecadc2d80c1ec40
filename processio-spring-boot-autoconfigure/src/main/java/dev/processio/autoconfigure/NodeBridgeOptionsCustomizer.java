package dev.processio.autoconfigure;

import dev.processio.NodeBridgeOptions;

/**
 * Adjusts the options of a pool after they have been read from {@code processio.*}, before the
 * pool starts. Beans of this type apply to every pool, in {@code @Order}.
 */
@FunctionalInterface
public interface NodeBridgeOptionsCustomizer {

    /**
     * @param pool the pool name: {@code default}, or the name under {@code processio.pools}
     * @param options the options so far
     */
    void customize(String pool, NodeBridgeOptions.Builder options);
}
