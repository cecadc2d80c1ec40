package dev.processio.autoconfigure.endpoint;

import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * The records that {@link ProcessioEndpoint} answers with, which Jackson writes by reflection.
 * Actuator registers the return types of the operations of the endpoints it finds at build time;
 * these hints also cover the nested records, whatever the build's exposure settings were.
 * Imported by {@link ProcessioEndpointAutoConfiguration}, so only where Actuator is.
 */
class ProcessioEndpointRuntimeHints implements RuntimeHintsRegistrar {

    private final BindingReflectionHintsRegistrar bindings = new BindingReflectionHintsRegistrar();

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        bindings.registerReflectionHints(hints.reflection(), ProcessioEndpoint.PoolsDescriptor.class,
                ProcessioEndpoint.PoolDescriptor.class, ProcessioEndpoint.WorkerDescriptor.class,
                ProcessioEndpoint.ServerDescriptor.class, ProcessioEndpoint.DevWatchDescriptor.class,
                ProcessioEndpoint.ActionResult.class);
    }
}
