// The landing page (/): what this server is, in the page's language, with the language switch.
import { applyLanguage, t } from '../i18n/i18n.ts';
import { mountLanguageSwitch } from '../ui/language-switch.ts';
import { $ } from '../ui/dom.ts';

applyLanguage();
mountLanguageSwitch();
document.title = t('index.title');
$('#title').textContent = t('index.title');
$('#intro').textContent = t('index.intro');
$('#check').textContent = t('index.check');
