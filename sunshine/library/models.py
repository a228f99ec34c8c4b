"""The policy library (政策文件库): documents, their versions and the full-text index."""
