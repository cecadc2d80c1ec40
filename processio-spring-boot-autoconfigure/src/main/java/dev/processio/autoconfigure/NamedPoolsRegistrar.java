package dev.processio.autoconfigure;

import dev.processio.NodeBridge;
import java.util.Map;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers a {@link NodeBridge} bean named {@code <name>NodeBridge}, qualified {@code <name>},
 * for each {@code processio.pools.<name>}, unless the application defines a bean of that name.
 * Only the names are read here, before any bean exists; {@link ProcessioBridgeFactory} binds a
 * pool's keys when it builds that pool.
 */
class NamedPoolsRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        Map<String, Object> pools = Binder.get(environment)
                .bind("processio.pools", Bindable.mapOf(String.class, Object.class))
                .orElse(Map.of());
        for (String name : pools.keySet()) {
            String beanName = name + "NodeBridge";
            if (registry.containsBeanDefinition(beanName)) {
                continue;
            }
            // A static factory method with the name as its argument, not an instance supplier: AOT
            // processing (spring-boot:process-aot) can write code for the one, not for a lambda.
            RootBeanDefinition definition = new RootBeanDefinition(NamedPoolsRegistrar.class);
            definition.setFactoryMethodName("namedPool");
            definition.setTargetType(NodeBridge.class);
            definition.setAutowireMode(AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
            definition.getConstructorArgumentValues().addIndexedArgumentValue(0, name);
            definition.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
            definition.setDestroyMethodName("close");
            registry.registerBeanDefinition(beanName, definition);
        }
    }

    /**
     * The bean of pool {@code name}. The factory is autowired, so whichever there is (ours or the
     * application's) becomes a dependency of the pool's bean, and is destroyed after it.
     */
    static NodeBridge namedPool(String name, ProcessioBridgeFactory factory) {
        return factory.createNamed(name);
    }
}
