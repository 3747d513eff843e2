package io.printmaster.server.notifications.impl;

import java.lang.annotation.Annotation;

/** A {@link NotificationsConfiguration} with the given retry settings (the component's defaults otherwise). */
record TestConfig(int retryBaseSeconds, int maxAttempts) implements NotificationsConfiguration {
    @Override
    public int queue__capacity() {
        return 10_000;
    }

    @Override
    public int retry__base__seconds() {
        return retryBaseSeconds;
    }

    @Override
    public int max__attempts() {
        return maxAttempts;
    }

    @Override
    public int event__stream__max__seconds() {
        return 300;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return NotificationsConfiguration.class;
    }
}
