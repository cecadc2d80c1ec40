package dev.processio.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code processio.*}: the default pool, and named pools under {@code processio.pools.<name>.*}.
 * A named pool takes every key it does not set from {@code processio.*}.
 */
@ConfigurationProperties("processio")
public class ProcessioProperties extends PoolProperties {

    /** Whether processio creates its beans. */
    private boolean enabled = true;

    /** Named pools; each becomes a NodeBridge bean named "<name>NodeBridge", qualified "<name>". */
    private Map<String, PoolProperties> pools = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Map<String, PoolProperties> getPools() {
        return pools;
    }

    public void setPools(Map<String, PoolProperties> pools) {
        this.pools = pools;
    }
}
