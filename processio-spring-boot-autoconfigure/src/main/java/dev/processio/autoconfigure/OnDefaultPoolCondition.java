package dev.processio.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code processio.node.module}, {@code processio.python.module} or
 * {@code processio.worker.command} is set.
 */
class OnDefaultPoolCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        PoolProperties top = Binder.get(context.getEnvironment())
                .bind("processio", Bindable.ofInstance(new PoolProperties()))
                .orElseGet(PoolProperties::new);
        return top.isRunnable()
                ? ConditionOutcome.match("processio.node.module, python.module or worker.command is set")
                : ConditionOutcome.noMatch("none of processio.node.module, python.module and worker.command is set");
    }
}
