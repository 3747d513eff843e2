package io.printmaster.http.api;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Types for {@link Route#accepts} and {@link Route#returns} that a class literal cannot say: a list of records, a
 * map, and the one-member objects most list routes answer ({@code {"fleets":[…]}}).
 *
 * @since 1.7
 */
public final class JsonTypes {
    private JsonTypes() {
    }

    /** A JSON array of {@code element}. */
    public static Type listOf(Type element) {
        return new Parameterized(List.class, element);
    }

    /** A JSON object whose members are all {@code value}s. */
    public static Type mapOf(Type value) {
        return new Parameterized(Map.class, String.class, value);
    }

    /** A JSON object with the one member {@code member} holding a {@code value}: {@code {"fleets":[…]}}. */
    public static Type object(String member, Type value) {
        return new Member(member, value);
    }

    /** A JSON object with the one member {@code member} holding an array of {@code element}s. */
    public static Type objectWithList(String member, Type element) {
        return new Member(member, listOf(element));
    }

    /** A one-member JSON object; see {@link #object}. */
    public record Member(String name, Type value) implements Type {
        public Member {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String getTypeName() {
            return "{" + name + ": " + value.getTypeName() + "}";
        }
    }

    private record Parameterized(Class<?> raw, Type... arguments) implements ParameterizedType {
        @Override
        public Type[] getActualTypeArguments() {
            return arguments.clone();
        }

        @Override
        public Type getRawType() {
            return raw;
        }

        @Override
        public Type getOwnerType() {
            return null;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ParameterizedType p && raw.equals(p.getRawType()) && p.getOwnerType() == null
                    && java.util.Arrays.equals(arguments, p.getActualTypeArguments());
        }

        @Override
        public int hashCode() {
            return raw.hashCode() ^ java.util.Arrays.hashCode(arguments);
        }

        @Override
        public String toString() {
            return getTypeName();
        }

        @Override
        public String getTypeName() {
            StringBuilder b = new StringBuilder(raw.getName()).append('<');
            for (int i = 0; i < arguments.length; i++) {
                b.append(i == 0 ? "" : ", ").append(arguments[i].getTypeName());
            }
            return b.append('>').toString();
        }
    }
}
