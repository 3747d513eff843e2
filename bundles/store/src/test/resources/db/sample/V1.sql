-- sample table
CREATE TABLE SAMPLE (
    ID INT PRIMARY KEY,
    NAME VARCHAR(20)
);
-- a comment between statements
CREATE INDEX SAMPLE_NAME ON SAMPLE (NAME);
