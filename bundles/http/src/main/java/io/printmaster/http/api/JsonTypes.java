package io.printmaster.http.api;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Types for {@link Route#accepts} and {@link Route#returns} that a class literal cannot say: a list of records, a
 * map, and the objects most list routes answer ({@code {"fleets":[…]}}, {@code {"agents":[…],"next_cursor":…}}).
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

    /**
     * A JSON object with the member {@code member} holding a {@code value}: {@code {"fleets":[…]}}; add more members
     * with {@link ObjectType#and} and {@link ObjectType#andNullable}.
     */
    public static ObjectType object(String member, Type value) {
        return new ObjectType(List.of(new Member(member, value, false)));
    }

    /** A JSON object with the member {@code member} holding an array of {@code element}s. */
    public static ObjectType objectWithList(String member, Type element) {
        return object(member, listOf(element));
    }

    /** One member of an {@link ObjectType}: always present; its value may be null only when {@code nullable}. */
    public record Member(String name, Type value, boolean nullable) {
        public Member {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    /** A JSON object of these members, in this order, that no record spells (the envelopes of list answers). */
    public record ObjectType(List<Member> members) implements Type {
        public ObjectType {
            members = List.copyOf(members);
            if (members.stream().map(Member::name).distinct().count() != members.size()) {
                throw new IllegalArgumentException("a member is named twice: " + members);
            }
        }

        /** This object with one more member, never null. */
        public ObjectType and(String member, Type value) {
            return with(new Member(member, value, false));
        }

        /** This object with one more member that may be null (the cursor of the last page). */
        public ObjectType andNullable(String member, Type value) {
            return with(new Member(member, value, true));
        }

        private ObjectType with(Member member) {
            List<Member> more = new java.util.ArrayList<>(members);
            more.add(member);
            return new ObjectType(more);
        }

        @Override
        public String getTypeName() {
            StringBuilder b = new StringBuilder("{");
            for (Member m : members) {
                b.append(b.length() == 1 ? "" : ", ").append(m.name()).append(": ").append(m.value().getTypeName());
            }
            return b.append('}').toString();
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
