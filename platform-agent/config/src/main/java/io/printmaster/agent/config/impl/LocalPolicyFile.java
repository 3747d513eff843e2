package io.printmaster.agent.config.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads the agent's local policy, {@code etc/local-policy.json}: one {@link UpdatePolicy} document in its wire
 * format (the same JSON as a fleet's policy on the server), strict like the API (every field required except
 * {@code target_version}, unknown fields rejected) and checked by {@link PolicyValidator}. Errors name the field
 * under {@code local_policy.}, as the status shows them.
 */
final class LocalPolicyFile {
    static final String FILE_NAME = "local-policy.json";
    static final String FIELD = "local_policy";

    /** Large enough for any policy, small enough that a wrong file cannot fill the heap of a 64 MB agent. */
    static final long MAX_BYTES = 64 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    /**
     * What the file holds.
     *
     * @param present whether the file exists
     * @param policy the valid policy it holds; empty when absent or invalid
     * @param errors why it is invalid; empty when absent or valid
     */
    record Reading(boolean present, Optional<UpdatePolicy> policy, List<ConfigError> errors) {
        Reading {
            errors = List.copyOf(errors);
        }
    }

    private LocalPolicyFile() {
    }

    static Reading read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                return invalid(FIELD, file.getFileName() + " is larger than " + MAX_BYTES + " bytes; a policy is a few hundred");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Reading(false, Optional.empty(), List.of());
        } catch (IOException e) {
            return invalid(FIELD, "cannot read " + file + ": " + e);
        }
        UpdatePolicy policy;
        try {
            policy = JSON.readValue(bytes, UpdatePolicy.class);
        } catch (UnrecognizedPropertyException e) {
            return invalid(field(e), "unknown field '" + e.getPropertyName() + "'");
        } catch (ValueInstantiationException e) {
            // the records' own structure checks ("maintenance_window.timezone is required")
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return invalid(field(e), cause.getMessage());
        } catch (MismatchedInputException e) {
            return invalid(field(e), mismatch(e));
        } catch (JsonMappingException e) {
            return invalid(field(e), firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            String where = e.getLocation() != null
                    ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : "";
            return invalid(FIELD, "not valid JSON" + where + ": " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            return invalid(FIELD, "cannot read " + file + ": " + e);
        }
        if (policy == null) {
            return invalid(FIELD, "the file holds null; it must hold a policy object");
        }
        List<Violation> violations = PolicyValidator.validate(policy);
        if (!violations.isEmpty()) {
            return new Reading(true, Optional.empty(), violations.stream()
                    .map(v -> new ConfigError(FIELD + "." + v.field(), v.message())).toList());
        }
        return new Reading(true, Optional.of(policy), List.of());
    }

    /**
     * Replaces the file with {@code policy} (valid: the caller checked it), atomically and durably, through a
     * temporary file in {@code tempDir} (on the same file system, not watched by FileInstall).
     */
    static void write(Path file, UpdatePolicy policy, Path tempDir) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(policy);
        io.printmaster.agent.files.AtomicFiles.write(file, bytes, tempDir, null);
    }

    private static Reading invalid(String field, String message) {
        return new Reading(true, Optional.empty(), List.of(new ConfigError(field, message)));
    }

    /** {@code local_policy.maintenance_window.days_of_week[2]}, as the wire names read. */
    private static String field(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
        return path.isEmpty() ? FIELD : FIELD + (path.startsWith("[") ? "" : ".") + path;
    }

    /** Jackson's wording is for Java developers; say what the file needs instead. */
    private static String mismatch(MismatchedInputException e) {
        String original = firstLine(e.getOriginalMessage());
        if (original.startsWith("Missing required creator property")) {
            return "is required (every field except target_version must be present)";
        }
        Class<?> type = e.getTargetType();
        if (type == int.class || type == Integer.class) {
            return "must be a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "must be true or false";
        }
        if (type == String.class) {
            return "must be a string";
        }
        if (type != null && java.util.Collection.class.isAssignableFrom(type)) {
            return "must be a list";
        }
        if (type != null && type.isRecord()) {
            return "must be an object";
        }
        return original;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
