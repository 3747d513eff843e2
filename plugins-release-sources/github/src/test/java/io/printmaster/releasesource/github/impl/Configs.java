package io.printmaster.releasesource.github.impl;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A component property type instance the way Declarative Services builds one: each method reads the property of
 * its mapped name (a double underscore is one underscore) and falls back to the method's default.
 */
final class Configs {
    private Configs() {
    }

    static <A> A of(Class<A> type, Map<String, Object> properties) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class || method.getName().equals("annotationType")) {
                return switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> type.getSimpleName() + properties.keySet();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            }
            Object value = properties.get(method.getName().replace("__", "_"));
            if (value == null) {
                return method.getDefaultValue();
            }
            if (method.getReturnType() == boolean.class) {
                return Boolean.parseBoolean(value.toString());
            }
            return value.toString();
        }));
    }
}
