"""TaskLib's database layer: every SQL statement the Python side sends, and every connection.

``statements`` holds the SQL text (nothing else in the package writes SQL); ``connections``
opens every pool and connection with the same settings and maps errors.
"""
