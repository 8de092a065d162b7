/** Opening the folder a command shares from or saves into, with one clear line when it cannot. */
import type { SharedFolder } from '@p2pkit/core';
import { openSharedFolder } from '@p2pkit/core/node';

/**
 * Opens `dir` for the command's `option` (`--share`, `-o`, ...). A folder to share must exist
 * (`create: false`: a typo should not share nothing); a folder to save into is created. The
 * error names the option, the folder and why: `cannot open --share ./x: no such folder`.
 */
export async function openFolder(
  option: string,
  dir: string,
  options: { create: boolean },
): Promise<SharedFolder> {
  try {
    return await openSharedFolder(dir, { create: options.create });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such folder'
        : code === 'ENOTDIR' || code === 'ERR_NOT_A_FOLDER'
          ? 'not a folder'
          : code && code !== 'ERR_P2P'
            ? code
            : (error as Error).message;
    throw new Error(`cannot open ${option} ${dir}: ${reason}`);
  }
}
