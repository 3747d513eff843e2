package io.printmaster.http.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.printmaster.http.api.JsonTypes;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of the Java types the API reads and writes, worked out from the
 * API's own Jackson configuration, so every member carries the name the API writes (snake_case, {@code @JsonProperty})
 * and the JSON type Jackson maps the Java type to. Records and other objects become named component schemas
 * referenced with {@code $ref}; the rest is inlined.
 *
 * <p>A member that Jackson writes even when null is typed as nullable; one it leaves out when null or empty
 * ({@code @JsonInclude}) is simply optional. Only members of a primitive Java type (never null) and those declared
 * {@code @JsonProperty(required = true)} are listed as required: the API reads absent members as null and its handlers
 * name what is missing, which a schema cannot tell.
 */
final class JsonSchemas {
    private static final String REF_PREFIX = "#/components/schemas/";

    private final ObjectMapper mapper;
    /** Component name → schema; a name is taken (with a placeholder) before its members are worked out: recursion. */
    private final Map<String, Map<String, Object>> components = new TreeMap<>();
    private final Map<JavaType, String> names = new LinkedHashMap<>();

    JsonSchemas(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The named schemas referenced so far, by name. */
    Map<String, Map<String, Object>> components() {
        return components;
    }

    /** Registers a hand-written component schema under its name (the error shape). */
    void component(String name, Map<String, Object> schema) {
        components.put(name, schema);
    }

    static Map<String, Object> ref(String component) {
        return Map.of("$ref", REF_PREFIX + component);
    }

    /** The schema of values of this type: inline for scalars, lists and maps; a {@code $ref} for objects. */
    Map<String, Object> schema(Type type) {
        if (type instanceof JsonTypes.ObjectType object) {
            Map<String, Object> properties = new LinkedHashMap<>();
            for (JsonTypes.Member m : object.members()) {
                properties.put(m.name(), m.nullable() ? nullable(schema(m.value())) : schema(m.value()));
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("type", "object");
            s.put("properties", properties);
            s.put("required", object.members().stream().map(JsonTypes.Member::name).toList());
            return s;
        }
        return schema(mapper.getTypeFactory().constructType(type));
    }

    private Map<String, Object> schema(JavaType type) {
        Class<?> raw = type.getRawClass();
        Map<String, Object> scalar = scalar(raw);
        if (scalar != null) {
            return scalar;
        }
        if (raw == Optional.class) {
            return schema(type.containedTypeOrUnknown(0));
        }
        if (raw.isEnum()) {
            return enumeration(raw);
        }
        if (type.isArrayType() || type.isCollectionLikeType()) {
            return Map.of("type", "array", "items", schema(type.getContentType()));
        }
        if (type.isMapLikeType()) {
            return Map.of("type", "object", "additionalProperties", schema(type.getContentType()));
        }
        if (raw == Object.class || JsonNode.class.isAssignableFrom(raw)) {
            return Map.of(); // any JSON value
        }
        return ref(objectComponent(type));
    }

    /** Scalars by their JSON type and, where one applies, the standard format; null when not a scalar. */
    private static Map<String, Object> scalar(Class<?> raw) {
        if (raw == String.class || raw == char.class || raw == Character.class) {
            return Map.of("type", "string");
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return Map.of("type", "boolean");
        }
        if (raw == int.class || raw == Integer.class || raw == short.class || raw == Short.class
                || raw == byte.class || raw == Byte.class) {
            return Map.of("type", "integer", "format", "int32");
        }
        if (raw == long.class || raw == Long.class) {
            return Map.of("type", "integer", "format", "int64");
        }
        if (raw == BigInteger.class) {
            return Map.of("type", "integer");
        }
        if (raw == float.class || raw == Float.class) {
            return Map.of("type", "number", "format", "float");
        }
        if (raw == double.class || raw == Double.class) {
            return Map.of("type", "number", "format", "double");
        }
        if (raw == BigDecimal.class || raw == Number.class) {
            return Map.of("type", "number");
        }
        if (raw == byte[].class) {
            return Map.of("type", "string", "contentEncoding", "base64");
        }
        if (raw == LocalDateTime.class) {
            return Map.of("type", "string"); // no standard format for a date and time without a zone
        }
        String format = stringFormat(raw);
        return format == null ? null : Map.of("type", "string", "format", format);
    }

    /** The JSON Schema format of a type Jackson writes as a string (ISO-8601 for java.time); null when none. */
    private static String stringFormat(Class<?> raw) {
        if (raw == Instant.class || raw == OffsetDateTime.class || raw == ZonedDateTime.class) {
            return "date-time";
        }
        if (raw == LocalDate.class) {
            return "date";
        }
        if (raw == LocalTime.class) {
            return "time";
        }
        if (raw == Duration.class) {
            return "duration";
        }
        if (raw == UUID.class) {
            return "uuid";
        }
        if (raw == URI.class || raw == URL.class) {
            return "uri";
        }
        return null;
    }

    /** The constants as the API writes them (a {@code @JsonValue} or {@code @JsonProperty} name, not the Java one). */
    private Map<String, Object> enumeration(Class<?> raw) {
        List<String> values = new ArrayList<>();
        for (Object constant : raw.getEnumConstants()) {
            values.add(mapper.valueToTree(constant).asText());
        }
        return Map.of("type", "string", "enum", values);
    }

    private String objectComponent(JavaType type) {
        String known = names.get(type);
        if (known != null) {
            return known;
        }
        String name = uniqueName(type);
        names.put(type, name);
        components.put(name, Map.of()); // taken: a member of the same type refers to it while it is worked out
        Map<String, Object> schema;
        try {
            schema = objectSchema(type);
        } catch (RuntimeException e) {
            // a type Jackson cannot describe must not cost the whole document: it stays an object of unknown members
            schema = Map.of("type", "object", "description", "members not described: " + e.getClass().getSimpleName());
        }
        components.put(name, schema);
        return name;
    }

    private Map<String, Object> objectSchema(JavaType type) {
        BeanDescription bean = mapper.getSerializationConfig().introspect(type);
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (BeanPropertyDefinition p : bean.findProperties()) {
            if (!p.couldSerialize()) {
                continue;
            }
            JavaType memberType = p.getPrimaryType();
            // a @JsonRawValue member is written as the JSON its string holds: any value
            boolean raw = p.getAccessor() != null && p.getAccessor().hasAnnotation(JsonRawValue.class);
            Map<String, Object> member = raw ? Map.of() : schema(memberType);
            boolean primitive = memberType.isPrimitive();
            if (!primitive && !omittedWhenEmpty(p)) {
                member = nullable(member);
            }
            properties.put(p.getName(), member);
            if (primitive || p.isRequired()) {
                required.add(p.getName());
            }
        }
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        return schema;
    }

    /** Whether Jackson leaves the member out instead of writing null (so it is never null on the wire). */
    private boolean omittedWhenEmpty(BeanPropertyDefinition p) {
        JsonInclude.Value declared = p.findInclusion();
        JsonInclude.Value global = mapper.getSerializationConfig().getDefaultPropertyInclusion();
        JsonInclude.Include inclusion = declared == null ? null : declared.getValueInclusion();
        if (inclusion == null || inclusion == JsonInclude.Include.USE_DEFAULTS) {
            inclusion = global == null ? JsonInclude.Include.ALWAYS : global.getValueInclusion();
        }
        return inclusion != JsonInclude.Include.ALWAYS && inclusion != JsonInclude.Include.USE_DEFAULTS;
    }

    /** The schema, also allowing null: a type list for inline schemas, {@code anyOf} around a reference. */
    static Map<String, Object> nullable(Map<String, Object> schema) {
        Object type = schema.get("type");
        if (type instanceof String single && !schema.containsKey("enum")) {
            Map<String, Object> copy = new LinkedHashMap<>(schema);
            copy.put("type", List.of(single, "null"));
            return copy;
        }
        if (schema.isEmpty()) {
            return schema; // any value already includes null
        }
        return Map.of("anyOf", List.of(schema, Map.of("type", "null")));
    }

    /** The class's simple name, with its enclosing classes' when another type took it, and type arguments. */
    private String uniqueName(JavaType type) {
        Class<?> raw = type.getRawClass();
        StringBuilder base = new StringBuilder(raw.getSimpleName());
        for (Class<?> outer = raw.getEnclosingClass(); components.containsKey(withArguments(base, type)) && outer != null;
             outer = outer.getEnclosingClass()) {
            base.insert(0, outer.getSimpleName());
        }
        String name = withArguments(base, type);
        for (int n = 2; components.containsKey(name); n++) {
            name = withArguments(base, type) + n;
        }
        return name;
    }

    private static String withArguments(CharSequence base, JavaType type) {
        StringBuilder name = new StringBuilder(base);
        for (int i = 0; i < type.containedTypeCount(); i++) {
            name.append("Of").append(type.containedType(i).getRawClass().getSimpleName());
        }
        return name.toString();
    }
}
