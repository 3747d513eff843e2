package io.printmaster.http.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper.Builder;
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
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
        this.mapper = b.build();
    }

    <T> T read(byte[] body, Class<T> type) throws ApiException {
        if (body.length == 0) {
            throw new ApiException(400, "missing_body", "a JSON body is required");
        }
        try {
            return mapper.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            String field = path(e);
            throw new ApiException(400, "unknown_field", "unknown field '" + field + "'", field);
        } catch (JsonMappingException e) {
            String field = path(e);
            Throwable cause = e.getCause();
            String detail = cause instanceof IllegalArgumentException && cause.getMessage() != null
                    ? cause.getMessage() : e.getOriginalMessage();
            // a missing member is reported at its parent: name the member itself
            Matcher missing = MISSING_CREATOR_PROPERTY.matcher(String.valueOf(e.getOriginalMessage()));
            Matcher required = REQUIRED_MEMBER.matcher(detail == null ? "" : detail);
            if (missing.find()) {
                // Jackson's path sometimes already ends at the missing member, sometimes at its parent
                if (!field.equals(missing.group(1)) && !field.endsWith("." + missing.group(1))) {
                    field = join(field, missing.group(1));
                }
                throw new ApiException(400, "invalid_field", "field '" + field + "' is required", field);
            } else if (cause instanceof IllegalArgumentException && required.matches()) {
                if (!field.equals(required.group(1)) && !field.endsWith("." + required.group(1))) {
                    field = join(field, required.group(1));
                }
                throw new ApiException(400, "invalid_field", "field '" + field + "' is required", field);
            }
            if (field.isEmpty()) {
                throw new ApiException(400, "invalid_body", "the body does not match the expected shape: " + detail);
            }
            throw new ApiException(400, "invalid_field", "field '" + field + "': " + firstLine(detail), field);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed_json", "the body is not valid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ApiException(400, "malformed_json", "the body could not be read");
        }
    }

    void write(Object value, OutputStream out) throws IOException {
        mapper.writeValue(out, value);
    }

    byte[] bytes(Object value) throws IOException {
        return mapper.writeValueAsBytes(value);
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
