package io.printmaster.server.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReadinessTest {

    @Test
    void aFailedActivationIsToldByItsInnermostCausesMessageNotAJavaType() {
        String trace = "java.lang.reflect.InvocationTargetException\n\tat java.base/jdk.internal.reflect.X.newInstance(X.java:1)\n"
                + "Caused by: java.lang.IllegalArgumentException: PM_TRUSTED_PROXIES: 'proxy.example' is not an IP address or CIDR block\n"
                + "\tat io.printmaster.http.impl.ConnectionDefences$Settings.of(ConnectionDefences.java:80)\n";
        assertEquals("PM_TRUSTED_PROXIES: 'proxy.example' is not an IP address or CIDR block", Readiness.failureMessage(trace));
        assertEquals("the database is locked", Readiness.failureMessage("java.sql.SQLException: the database is locked\n\tat x"));
        assertEquals("see the server log", Readiness.failureMessage("java.lang.NullPointerException\n\tat x"));
        assertEquals("", Readiness.failureMessage(null));
    }
}
