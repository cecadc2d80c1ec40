package dev.processio.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code processio.*}: the keys of the default pool, which named pools inherit. A value that no
 * property sets is {@code null}, for the default of {@link dev.processio.NodeBridgeOptions.Builder}.
 *
 * <p>Named pools, under {@code processio.pools.<name>.*}, are not held here: each pool's own keys
 * are bound by {@link ProcessioBridgeFactory} when it builds that pool, over these. The options a
 * pool runs with, its inherited and its own values together, come from
 * {@link ProcessioBridgeFactory#options(String)}.
 */
@ConfigurationProperties("processio")
public class ProcessioProperties extends PoolProperties {

    /** Whether processio creates its beans. */
    private boolean enabled = true;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }
}
