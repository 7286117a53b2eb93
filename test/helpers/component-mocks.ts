/**
 * Pulumi mocks for component unit tests (one program per test file: mocks are
 * process-global). Every registration's resolved inputs are captured; a test
 * adds the outputs its component reads through `outputs`, and answers the
 * data-source calls it expects through `calls` (any other call fails loudly).
 * Import the component AFTER `await componentMocks(...)`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";

export interface Captured {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, any>;
}

export interface ComponentMocks {
  resources: Captured[];
  /** Wait until every registration in flight has reached the mocks. */
  settle(): Promise<void>;
  /** The resolved value of an output. */
  resolve<T>(o: pulumi.Output<T>): Promise<T>;
}

export async function componentMocks(
  opts: {
    /** Extra outputs per registration (merged over the inputs, as a real provider echoes them). */
    outputs?: (type: string, name: string, inputs: Record<string, any>) => Record<string, unknown> | undefined;
    calls?: Record<string, (inputs: Record<string, any>) => Record<string, unknown>>;
    stack?: string;
  } = {},
): Promise<ComponentMocks> {
  const resources: Captured[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...opts.outputs?.(args.type, args.name, args.inputs) } };
      },
      call: (args) => {
        const answer = opts.calls?.[args.token];
        if (!answer) throw new Error(`unexpected invoke ${args.token}`);
        return answer(args.inputs);
      },
    },
    "goldenpath",
    opts.stack ?? "dev-foundation",
    false,
  );
  return {
    resources,
    settle: () => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(),
    resolve: <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r)),
  };
}
