/**
 * The `keywords` input both search tools take: one string split at spaces, or an array that keeps
 * a phrase with spaces together. One JSON schema for both, bounded by each tool's own limits.
 */
export function keywordsSchema(limits: { maxKeywords: number; maxKeywordChars: number }, description: string) {
  return {
    anyOf: [
      { type: 'string', minLength: 1, maxLength: 1000 },
      {
        type: 'array',
        items: { type: 'string', minLength: 1, maxLength: limits.maxKeywordChars },
        minItems: 1,
        maxItems: limits.maxKeywords,
      },
    ],
    description,
  };
}
