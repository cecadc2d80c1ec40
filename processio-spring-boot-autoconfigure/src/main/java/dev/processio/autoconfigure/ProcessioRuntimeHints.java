package dev.processio.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.boot.context.properties.bind.BindableRuntimeHintsRegistrar;

/**
 * What a native image of an application with processio needs to keep, beyond what Spring finds
 * by itself: the bundled worker runtimes, which are read as classpath resources and copied out
 * when a pool starts, and the properties classes. {@code PoolProperties} is bound by hand (named
 * pools, the default pool's condition, the failure analyzer) as well as through
 * {@code @ConfigurationProperties}, so its hints do not depend on which beans exist at build time.
 *
 * <p>The application's own {@code classpath:} modules are registered by
 * {@link ProcessioModulesAotProcessor}, which reads where they are from the environment.
 */
class ProcessioRuntimeHints implements RuntimeHintsRegistrar {

    /** Where processio-core keeps its runtimes, one directory per language. */
    static final String RUNTIMES = "dev/processio/runtime/**";

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.resources().registerPattern(RUNTIMES);
        BindableRuntimeHintsRegistrar.forTypes(ProcessioProperties.class, PoolProperties.class)
                .registerHints(hints, classLoader);
    }
}
