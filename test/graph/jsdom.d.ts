// The little of jsdom the Mermaid test uses (jsdom ships no types; @types/jsdom would add three more
// packages for one constructor). The window is handed to Mermaid's DOMPurify as a global.
declare module "jsdom" {
  export class JSDOM {
    constructor(html?: string, options?: { readonly pretendToBeVisual?: boolean });
    readonly window: { readonly document: object } & Record<string, unknown>;
  }
}
