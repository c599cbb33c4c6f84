/** Types of deploy-render.mjs, for the golden test that shares its environment. */
export declare const DEPLOY_DIR: string;
export declare const DEPLOY_ENV_FILE: string;
export declare function deployRenderEnv(): Record<string, string>;
export declare const DEPLOY_DIRS: { readonly compose: string; readonly kubernetes: string };
