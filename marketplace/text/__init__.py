"""Chinese text processing shared by listings and search: jieba word cutting, stop words,
synonyms and keyword extraction (no database, no Flask)."""
