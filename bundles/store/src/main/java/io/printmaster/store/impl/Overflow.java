package io.printmaster.store.impl;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connection opened outside the pool ({@link JdbcDatabase}): closing it closes the real connection and gives its
 * place back, once. Equality is identity, as for the pool's own connections, so it can key a map.
 */
final class Overflow {
    private Overflow() {
    }

    static Connection wrap(Connection real, Runnable release) {
        AtomicBoolean closed = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Overflow.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "toString":
                            return "overflow connection " + real;
                        case "close":
                            if (closed.compareAndSet(false, true)) {
                                try {
                                    real.close();
                                } finally {
                                    release.run();
                                }
                            }
                            return null;
                        default:
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }
}
