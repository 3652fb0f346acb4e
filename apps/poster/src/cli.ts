#!/usr/bin/env node
import { launch } from '@vectorview/engine/launch';

await launch(new URL('./command.js', import.meta.url));
