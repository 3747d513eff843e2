package io.printmaster.server.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.store.AuditLog;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Audit entries as JSON Lines ({@code application/x-ndjson}): one entry per line, written exactly as
 * {@code GET /api/v1/audit} writes its {@code entries} (the same names, ISO-8601 times, before/after embedded as
 * JSON), so an export and the API read the same way. Used by the export route and by the retention sweep's files.
 */
final class AuditLines {
    static final String MEDIA_TYPE = "application/x-ndjson";
    /** The API's wire conventions (snake_case, ISO-8601 instants, nulls written). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    private AuditLines() {
    }

    static AuditResource.EntryView view(AuditLog.Entry e) {
        return new AuditResource.EntryView(e.id(), e.at(), e.actor(), e.action(), e.target(), e.fleet(), e.before(),
                e.after());
    }

    /** Writes the entry as one line (its JSON has no raw line breaks: JSON escapes them in strings). */
    static void write(AuditLog.Entry entry, OutputStream out) throws IOException {
        out.write(JSON.writeValueAsBytes(view(entry)));
        out.write('\n');
    }

    /** The {@code id} of a line written by {@link #write}. @throws IOException when the line has none */
    static long id(String line) throws IOException {
        JsonNode id = JSON.readTree(line).get("id");
        if (id == null || !id.canConvertToLong()) {
            throw new IOException("an audit export line without an id: " + line.substring(0, Math.min(80, line.length())));
        }
        return id.asLong();
    }
}
