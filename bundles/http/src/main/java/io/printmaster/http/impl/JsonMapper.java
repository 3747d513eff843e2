package io.printmaster.http.impl;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper.Builder;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.http.api.ApiException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one JSON configuration of the API: snake_case wire names, ISO-8601 timestamps, unknown fields rejected,
 * and mapping errors turned into 400s that name the field.
 */
final class JsonMapper {
    private final ObjectMapper mapper;

    JsonMapper() {
        Builder b = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // a number or boolean where a string belongs is a wrong type, not a string to make up
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
        this.mapper = b.build();
    }

    <T> T read(byte[] body, Class<T> type) throws ApiException {
        if (body.length == 0) {
            throw new ApiException(400, "missing_body", "a JSON body is required");
        }
        try (JsonParser parser = mapper.createParser(body)) {
            JsonToken first = parser.nextToken();
            // every body the API reads is an object; null, a list or a scalar would otherwise reach the handler
            // as a null or fail inside Jackson with a message about Java types
            if (first != JsonToken.START_OBJECT && !type.isArray() && !Iterable.class.isAssignableFrom(type)) {
                throw new ApiException(400, "invalid_body", "the body must be a JSON object, not " + jsonType(first));
            }
            try {
                return mapper.readValue(parser, type);
            } catch (JsonMappingException e) {
                // translated here, while the parser still stands on the offending token
                throw translate(e, parser.currentToken());
            }
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed_json", "the body is not valid JSON: " + syntaxProblem(e));
        } catch (IOException e) {
            throw new ApiException(400, "malformed_json", "the body could not be read");
        }
    }

    private ApiException translate(JsonMappingException mapping, JsonToken got) {
        if (mapping instanceof UnrecognizedPropertyException e) {
            String field = path(e);
            return new ApiException(400, "unknown_field", "unknown field '" + field + "'", field);
        }
        {
            JsonMappingException e = mapping;
            String field = path(e);
            Throwable cause = e.getCause();
            // Jackson's own messages name Java types; only a constructor's validation message is meant for users
            boolean validation = cause instanceof IllegalArgumentException && cause.getMessage() != null;
            String detail = validation ? ": " + cause.getMessage() : " " + describe(e, got);
            // a missing member is reported at its parent: name the member itself
            Matcher missing = MISSING_CREATOR_PROPERTY.matcher(String.valueOf(e.getOriginalMessage()));
            Matcher required = REQUIRED_MEMBER.matcher(validation ? cause.getMessage() : "");
            if (missing.find()) {
                // Jackson's path sometimes already ends at the missing member, sometimes at its parent
                if (!field.equals(missing.group(1)) && !field.endsWith("." + missing.group(1))) {
                    field = join(field, missing.group(1));
                }
                return new ApiException(400, "invalid_field", "field '" + field + "' is required", field);
            } else if (cause instanceof IllegalArgumentException && required.matches()) {
                if (!field.equals(required.group(1)) && !field.endsWith("." + required.group(1))) {
                    field = join(field, required.group(1));
                }
                return new ApiException(400, "invalid_field", "field '" + field + "' is required", field);
            }
            if (field.isEmpty()) {
                return new ApiException(400, "invalid_body", "the body" + firstLine(detail));
            }
            return new ApiException(400, "invalid_field", "field '" + field + "'" + firstLine(detail), field);
        }
    }

    /** A mapping failure in user terms: what JSON type the field wants and what it got, never a Java type. */
    private String describe(JsonMappingException e, JsonToken got) {
        if (e instanceof InvalidFormatException f && (got == JsonToken.VALUE_STRING || got == null)) {
            Class<?> target = f.getTargetType();
            if (target != null && target.isEnum()) {
                return "has value " + quote(f.getValue()) + ", which is not one of " + enumValues(target);
            }
            return "has value " + quote(f.getValue()) + ", which is not a valid " + expected(target);
        }
        if (e instanceof MismatchedInputException m) {
            Class<?> target = m.getTargetType();
            if (target != null && got != null) {
                return "must be " + withArticle(expected(target)) + ", not " + jsonType(got);
            }
            if (target != null) {
                return "must be " + withArticle(expected(target));
            }
        }
        return "has an invalid value";
    }

    /** The JSON type (or textual format) a Java target type is read from. */
    String expected(Class<?> target) {
        if (target == null) {
            return "value";
        }
        if (target == String.class || target == char.class || target == Character.class) {
            return "string";
        }
        if (target == boolean.class || target == Boolean.class) {
            return "boolean";
        }
        if (target == int.class || target == long.class || target == short.class || target == byte.class
                || target == Integer.class || target == Long.class || target == Short.class || target == Byte.class
                || target == java.math.BigInteger.class) {
            return "integer";
        }
        if (target.isPrimitive() || Number.class.isAssignableFrom(target)) {
            return "number";
        }
        if (target.isArray() || java.util.Collection.class.isAssignableFrom(target)) {
            return "array";
        }
        if (target == java.time.LocalDate.class) {
            return "ISO-8601 date string";
        }
        if (target == java.time.LocalTime.class) {
            return "ISO-8601 time string";
        }
        if (java.time.temporal.Temporal.class.isAssignableFrom(target)) {
            return "ISO-8601 timestamp string";
        }
        if (target == java.time.Duration.class) {
            return "ISO-8601 duration string";
        }
        if (target == java.util.UUID.class) {
            return "UUID string";
        }
        if (target == java.net.URI.class || target == java.net.URL.class) {
            return "URL string";
        }
        if (target.isEnum()) {
            return "string, one of " + enumValues(target);
        }
        return "object";
    }

    /** The constants as they are written on the wire, which need not be their Java names. */
    private String enumValues(Class<?> enumType) {
        return java.util.Arrays.stream(enumType.getEnumConstants())
                .map(c -> "'" + mapper.valueToTree(c).asText() + "'")
                .collect(Collectors.joining(", ", "[", "]"));
    }

    static String jsonType(JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        return switch (token) {
            case START_OBJECT, END_OBJECT, FIELD_NAME -> "an object";
            case START_ARRAY, END_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> "an unsupported value";
        };
    }

    private static String withArticle(String type) {
        return ("aeiouAEIOU".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type;
    }

    private static String quote(Object value) {
        String s = String.valueOf(value);
        return "'" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "'";
    }

    /** The parser's message with its location, which names the Java input source, replaced by line and column. */
    private static String syntaxProblem(JsonProcessingException e) {
        String message = firstLine(e.getOriginalMessage());
        int source = message.indexOf(" (start marker at");
        if (source >= 0) {
            message = message.substring(0, source);
        }
        JsonLocation at = e.getLocation();
        return at == null ? message : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    void write(Object value, OutputStream out) throws IOException {
        mapper.writeValue(out, value);
    }

    byte[] bytes(Object value) throws IOException {
        return mapper.writeValueAsBytes(value);
    }

    /** The configured mapper itself, for the API description to read wire names and types as the API writes them. */
    ObjectMapper objectMapper() {
        return mapper;
    }

    private static final Pattern MISSING_CREATOR_PROPERTY = Pattern.compile("Missing required creator property '([^']+)'");
    private static final Pattern REQUIRED_MEMBER = Pattern.compile("([a-z0-9_.\\[\\]]+) is required");

    private static String join(String parent, String member) {
        return parent.isEmpty() ? member : parent + "." + member;
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
