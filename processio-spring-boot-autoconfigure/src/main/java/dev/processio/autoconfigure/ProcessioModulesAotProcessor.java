package dev.processio.autoconfigure;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Registers the application's {@code classpath:} worker modules as resources of a native image.
 * At build time the environment is the one the application is processed with, so each
 * {@code node.module} and {@code python.module} that points into the classpath, at the top level or
 * in a named pool, is known; the hint covers what {@link ClasspathModules} copies out at run time:
 * the module's directory with everything under it.
 *
 * <p>A location that only the run-time environment sets (an environment variable on the target
 * machine, say) cannot be seen here; its resources need a hint of the application's own.
 */
class ProcessioModulesAotProcessor implements BeanFactoryInitializationAotProcessor {

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(
            ConfigurableListableBeanFactory beanFactory) {
        if (!beanFactory.containsBean(ConfigurableApplicationContext.ENVIRONMENT_BEAN_NAME)) {
            return null;
        }
        Environment environment = beanFactory.getBean(ConfigurableApplicationContext.ENVIRONMENT_BEAN_NAME,
                Environment.class);
        Set<String> patterns = resourcePatterns(environment);
        if (patterns.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> patterns
                .forEach(pattern -> generationContext.getRuntimeHints().resources().registerPattern(pattern));
    }

    /** The resource patterns of every {@code classpath:} module that {@code environment} names. */
    static Set<String> resourcePatterns(Environment environment) {
        Binder binder = Binder.get(environment);
        if (!binder.bind("processio.enabled", Boolean.class).orElse(true)) {
            return Set.of();
        }
        Set<String> prefixes = new LinkedHashSet<>();
        prefixes.add("processio.");
        binder.bind("processio.pools", Bindable.mapOf(String.class, Object.class)).orElse(Map.of())
                .keySet().forEach(name -> prefixes.add("processio.pools." + name + "."));
        Set<String> patterns = new LinkedHashSet<>();
        for (String prefix : prefixes) {
            for (ClasspathModules.Language language : ClasspathModules.Language.values()) {
                binder.bind(prefix + language.key(), String.class)
                        .map(ClasspathModules::resourcePattern)
                        .ifBound(patterns::add);
            }
        }
        return patterns;
    }
}
