package io.printmaster.store.impl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The modules' migrations (written in Derby's SQL) in PostgreSQL's: the one place that knows the difference.
 *
 * <ul>
 *   <li>types: {@code VARCHAR(n) FOR BIT DATA}, {@code CHAR(n) FOR BIT DATA}, {@code LONG VARCHAR FOR BIT DATA},
 *       {@code BLOB(…)} → {@code BYTEA}; {@code CLOB(…)}, {@code LONG VARCHAR} → {@code TEXT}; {@code DOUBLE} →
 *       {@code DOUBLE PRECISION};</li>
 *   <li>{@code GENERATED … AS IDENTITY (START WITH 1, INCREMENT BY 1)}: the options without commas;</li>
 *   <li>{@code ALTER TABLE t ALTER COLUMN c SET DATA TYPE x} → {@code … ALTER COLUMN c TYPE x}; {@code ALTER COLUMN c
 *       NOT NULL} / {@code NULL} / {@code DEFAULT x} / {@code WITH DEFAULT x} → {@code SET NOT NULL} /
 *       {@code DROP NOT NULL} / {@code SET DEFAULT x}; {@code RENAME COLUMN t.c TO d} → {@code ALTER TABLE t RENAME
 *       COLUMN c TO d}; {@code RENAME TABLE a TO b} → {@code ALTER TABLE a RENAME TO b};</li>
 *   <li>JDBC escapes {@code {fn …}} are unwrapped, {@code TIMESTAMPADD(SQL_TSI_DAY, n, t)} becomes
 *       {@code PM_TIMESTAMPADD('DAY', n, t)}; that function and Derby's {@code LOCATE(search, text[, start])} are
 *       created in the database by {@link #prepare}.</li>
 * </ul>
 * Everything else in the scripts (identity columns, {@code BOOLEAN}, {@code TIMESTAMP}, {@code CAST}, {@code SUBSTR},
 * {@code FETCH FIRST}) is the same in both. Unquoted names fold to lower case in PostgreSQL and to upper case in
 * Derby, which is invisible to SQL that does not quote them.
 */
final class PostgresDialect implements SqlDialect {
    /** The key of the advisory lock every process migrating the database takes (a constant of our own: "PMSCHEMA"). */
    static final long MIGRATION_LOCK = 0x504D534348454D41L;

    private static final int FLAGS = Pattern.CASE_INSENSITIVE;
    private static final Pattern FN_ESCAPE = Pattern.compile("\\{\\s*fn\\s+([^{}]*)\\}", FLAGS);
    private static final Pattern TIMESTAMPADD = Pattern.compile("\\bTIMESTAMPADD\\s*\\(\\s*SQL_TSI_(\\w+)\\s*,", FLAGS);
    private static final Pattern BIT_DATA = Pattern.compile(
            "\\b(?:(?:VAR)?CHAR\\s*\\(\\s*\\d+\\s*\\)|LONG\\s+VARCHAR)\\s+FOR\\s+BIT\\s+DATA\\b", FLAGS);
    private static final Pattern BLOB = Pattern.compile("\\bBLOB\\b(?:\\s*\\(\\s*\\d+\\s*[KMG]?\\s*\\))?", FLAGS);
    private static final Pattern CLOB = Pattern.compile("\\bCLOB\\b(?:\\s*\\(\\s*\\d+\\s*[KMG]?\\s*\\))?", FLAGS);
    private static final Pattern LONG_VARCHAR = Pattern.compile("\\bLONG\\s+VARCHAR\\b", FLAGS);
    private static final Pattern DOUBLE = Pattern.compile("\\bDOUBLE\\b(?!\\s+PRECISION)", FLAGS);
    private static final Pattern IDENTITY_OPTIONS = Pattern.compile("\\bAS\\s+IDENTITY\\s*\\(([^)]*)\\)", FLAGS);
    private static final Pattern SET_DATA_TYPE = Pattern.compile(
            "(\\bALTER\\s+COLUMN\\s+\\w+\\s+)SET\\s+DATA\\s+TYPE\\b", FLAGS);
    private static final Pattern COLUMN_NOT_NULL = Pattern.compile("(\\bALTER\\s+COLUMN\\s+\\w+\\s+)NOT\\s+NULL\\s*$", FLAGS);
    private static final Pattern COLUMN_NULL = Pattern.compile("(\\bALTER\\s+COLUMN\\s+\\w+\\s+)NULL\\s*$", FLAGS);
    private static final Pattern COLUMN_DEFAULT = Pattern.compile(
            "(\\bALTER\\s+COLUMN\\s+\\w+\\s+)(?:WITH\\s+)?DEFAULT\\b", FLAGS);
    private static final Pattern RENAME_COLUMN = Pattern.compile(
            "^\\s*RENAME\\s+COLUMN\\s+(\\w+)\\.(\\w+)\\s+TO\\s+(\\w+)\\s*$", FLAGS);
    private static final Pattern RENAME_TABLE = Pattern.compile("^\\s*RENAME\\s+TABLE\\s+(\\w+)\\s+TO\\s+(\\w+)\\s*$", FLAGS);

    /** Derby functions the scripts use that PostgreSQL does not have, as SQL functions of the same meaning. */
    private static final List<String> FUNCTIONS = List.of(
            "CREATE OR REPLACE FUNCTION LOCATE(search TEXT, string TEXT) RETURNS INTEGER"
                    + " LANGUAGE SQL IMMUTABLE AS 'SELECT STRPOS(string, search)'",
            "CREATE OR REPLACE FUNCTION LOCATE(search TEXT, string TEXT, start INTEGER) RETURNS INTEGER"
                    + " LANGUAGE SQL IMMUTABLE AS 'SELECT CASE WHEN STRPOS(SUBSTR(string, GREATEST(start, 1)), search) = 0"
                    + " THEN 0 ELSE STRPOS(SUBSTR(string, GREATEST(start, 1)), search) + GREATEST(start, 1) - 1 END'",
            "CREATE OR REPLACE FUNCTION PM_TIMESTAMPADD(unit TEXT, amount BIGINT, moment TIMESTAMP) RETURNS TIMESTAMP"
                    + " LANGUAGE SQL IMMUTABLE AS 'SELECT moment + amount * CAST(''1 '' || unit AS INTERVAL)'");

    @Override
    public String translate(String sql) {
        String out = sql;
        Matcher rename = RENAME_COLUMN.matcher(out);
        if (rename.matches()) {
            return "ALTER TABLE " + rename.group(1) + " RENAME COLUMN " + rename.group(2) + " TO " + rename.group(3);
        }
        Matcher renameTable = RENAME_TABLE.matcher(out);
        if (renameTable.matches()) {
            return "ALTER TABLE " + renameTable.group(1) + " RENAME TO " + renameTable.group(2);
        }
        out = FN_ESCAPE.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1).strip()));
        out = TIMESTAMPADD.matcher(out).replaceAll(m -> "PM_TIMESTAMPADD('" + m.group(1).toUpperCase() + "',");
        out = BIT_DATA.matcher(out).replaceAll("BYTEA");
        out = BLOB.matcher(out).replaceAll("BYTEA");
        out = CLOB.matcher(out).replaceAll("TEXT");
        out = LONG_VARCHAR.matcher(out).replaceAll("TEXT");
        out = DOUBLE.matcher(out).replaceAll("DOUBLE PRECISION");
        out = IDENTITY_OPTIONS.matcher(out).replaceAll(m -> Matcher.quoteReplacement(
                "AS IDENTITY (" + m.group(1).replace(',', ' ').replaceAll("\\s+", " ").strip() + ")"));
        out = SET_DATA_TYPE.matcher(out).replaceAll("$1TYPE");
        out = COLUMN_NOT_NULL.matcher(out).replaceAll("$1SET NOT NULL");
        out = COLUMN_NULL.matcher(out).replaceAll("$1DROP NOT NULL");
        out = COLUMN_DEFAULT.matcher(out).replaceAll("$1SET DEFAULT");
        return out;
    }

    @Override
    public void lockMigrations(Connection c) throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, MIGRATION_LOCK);
            lock.execute();
        }
    }

    @Override
    public void prepare(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String function : FUNCTIONS) {
                s.execute(function);
            }
        }
    }
}
