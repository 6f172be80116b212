// Types of gen-api.mjs, for the unit test that checks the generated files.
export declare const specURL: URL
export declare const outputs: { schema: URL; permissions: URL }
export declare function generate(spec?: string): Promise<{ schema: string; permissions: string }>
