/**
 * Every user-facing string, by identifier, in Korean and English (one table per language, kept in
 * step by the type: a key missing in one language fails typechecking).
 */
import type { Category, Lang } from './domain.js';
import type { ErrorCode } from './errors.js';

const en = {
  'error.generic': 'Sorry, something went wrong on my side. Please try again in a moment.',
  'error.STORE_UNAVAILABLE':
    "Sorry, I can't reach my memory right now, so nothing was changed. Please try again shortly.",
  'error.STORE_OPEN_FAILED': "Sorry, I can't reach my memory right now. Please try again later.",
  'error.CATALOG_EMPTY': 'I have nothing to recommend yet — the catalog is empty.',
  'error.CATALOG_CORRUPT': 'My catalog is damaged; an operator has been told.',
  'error.INPUT_INVALID': "I couldn't understand that. Try /help.",
  'error.NOT_FOUND': "I couldn't find that.",
  'error.MISSING_PERMISSION': 'I am missing a permission here: {permission}. Please ask an admin to grant it.',
  'error.INTERNAL': 'Sorry, something went wrong on my side. Please try again in a moment.',
  'cmd.unknown': 'Unknown command "{command}". Try /help.',
  'cmd.badArg': 'Invalid {arg}: {reason}',
  'reco.header': 'Recommendations for you',
  'reco.headerTopic': 'Recommendations for "{topic}"',
  'reco.headerMore': 'More like "{title}"',
  'reco.moreButton': 'More like this',
  'reco.none': 'I found nothing new for that. Try another topic, or /explore 3 to widen the net.',
  'reco.react': 'React with {like} or {dislike} to teach me.',
  'react.liked': 'Noted: you like "{title}".',
  'react.disliked': 'Noted: less like "{title}".',
  'react.removed': 'Removed your reaction on "{title}".',
  'react.duplicate': 'Already counted.',
  'react.unknownItem': 'There is no item {n} in the last list. Use /recommend first.',
  'react.unknownEmoji': 'I only count these: like {like} / dislike {dislike}.',
  'react.notShown': 'That item was not shown to you.',
  'persona.empty': "I don't know much about you yet. Tell me what you enjoy, or react to some recommendations.",
  'persona.interests': 'You seem to be into: {list}.',
  'persona.dislikes': "You'd rather not see: {list}.",
  'persona.categories': 'Categories you like: {list}.',
  'persona.avoidCategories': 'Categories you skip: {list}.',
  'persona.feedback': 'You reacted to {likes} items with a like and {dislikes} with a dislike.',
  'persona.explore': 'Exploration level: {level} ({name}).',
  'persona.attributes': 'About you: {list}.',
  'persona.preferences': 'You prefer: {list}.',
  'persona.removed': 'Removed "{term}" from your interests.',
  'persona.notFound': '"{term}" is not in your persona.',
  'persona.origin.message': 'from our chat',
  'persona.origin.feedback': 'from your reactions',
  'persona.origin.llm': 'from the LLM',
  'persona.origin.user': 'added by you',
  'status.llmUsage': 'LLM tokens today ({day} UTC): {list}',
  'status.llmUsageUser': 'you {used} of {limit}',
  'status.llmUsageTotal': 'everyone {used} of {limit}',
  'status.llmNoLimit': 'no limit',
  'forget.confirm': 'This deletes everything I know about you: persona, reactions and history. Are you sure?',
  'forget.done': 'Done. I have forgotten everything about you.',
  'forget.cancelled': 'Nothing was deleted.',
  'explore.set': 'Exploration level set to {level} ({name}).',
  'explore.current': 'Your exploration level is {level} ({name}). Use /explore 0-3 to change it.',
  'explore.0': 'focused',
  'explore.1': 'balanced',
  'explore.2': 'curious',
  'explore.3': 'adventurous',
  'message.noted': 'Got it — I will keep that in mind.',
  'message.notedTerms': 'Got it — noted: {list}.',
  'console.intro': 'DEEP-RECO — tell me what you like, or type /recommend. /help lists the commands.',
  'message.notedDislikes': "I'll avoid: {list}.",
  'status.title': 'DEEP-RECO status',
  'status.store': 'Store: {value}',
  'status.textEncoder': 'Text encoder: {value}',
  'status.imageEncoder': 'Image encoder: {value}',
  'status.learned': 'Learned model: {value}',
  'status.explainer': 'Explanations: {value}',
  'status.catalog': 'Catalog: {items} items, {categories} categories, {sources} sources',
  'status.users': 'Users: {value}',
  'help.text':
    'Commands:\n/recommend [topic] [count] [category] — get recommendations\n👍 2 / 👎 3 — react to item 2 or 3 of the last list (-👍 2 removes it)\n/persona — what I know about you (/persona remove <term>)\n/forget — delete everything about you\n/explore <0-3> — how adventurous recommendations are\n/more N — more like item N of the last list\n/link [code] — link this account with Discord or Telegram\n/status — system status\n/help — this help\nAnything else you write tells me about your interests.',
  'why.liked': "because you liked '{title}'",
  'why.interests': 'you often talk about {terms}',
  'why.topic': "it matches '{terms}'",
  'why.category': 'you enjoy {category}',
  'why.fresh': "it's fresh ({age})",
  'why.popular': "it's popular right now",
  'why.explore': "it's something different to explore",
  'why.default': "it's a pick from {category}",
  'why.join': ' and ',
  'age.minutes': '{n} min ago',
  'age.hours': '{n} h ago',
  'age.days': '{n} days ago',
  'link.code':
    'Your link code: {code}\nEnter /link {code} on the other platform (Telegram, Discord or the console) within {minutes} minutes. It works once.',
  'link.invalid':
    'That link code is not valid (or was already used). Use /link on the other platform to get a new one.',
  'link.expired': 'That link code has expired. Use /link on the other platform to get a new one.',
  'link.already': 'These accounts are already linked.',
  'link.privateOnly': 'For your safety, use /link in a private chat with me (@{bot}).',
  'link.done': 'Linked! You now have one persona and one history across {platforms}.',
  'digest.on': 'Daily digest is on: every day at {time} ({tz}). Next one: {next}.',
  'digest.off': 'Daily digest is off.',
  'digest.statusOn':
    'Daily digest: on, every day at {time} ({tz}). Next one: {next}.\nChange it with /digest off or /digest HH:MM [time zone].',
  'digest.statusOff':
    'Daily digest: off. Turn it on with /digest on or /digest HH:MM [time zone] (default {time}, {tz}).',
  'digest.usage': 'Use /digest on, /digest off or /digest HH:MM [time zone], for example /digest 07:30 Asia/Seoul.',
  'digest.badZone': '"{tz}" is not a time zone I know. Use an IANA name such as Asia/Seoul or Europe/London.',
  'digest.adminOnly': 'Only group admins can change the group digest.',
  'digest.intro': '{greeting} Your digest for {date}: {count} fresh picks made for you.',
  'digest.introGroup': "{greeting} Today's group digest ({date}): {count} fresh picks for this chat.",
  'digest.greeting.morning': 'Good morning!',
  'digest.greeting.afternoon': 'Good afternoon!',
  'digest.greeting.evening': 'Good evening!',
  'digest.greeting.night': 'Hello, night owl!',
  'digest.section.liked': 'Because you liked "{title}"',
  'digest.section.categories': 'New in {list}',
  'digest.section.new': 'New for you',
  'digest.section.different': 'Something different',
  'tg.forgetYes': 'Yes, delete everything',
  'tg.forgetNo': 'Cancel',
  'tg.badButton': 'This button is not valid.',
  'tg.notYourButton': 'This button is for someone else.',
  'tg.help':
    'Commands:\n/recommend [topic] — get recommendations (👍/👎 buttons or reactions teach me; "More like this" finds similar items)\n/digest on | off | HH:MM [time zone] — a daily digest at your time\n/persona — what I know about you (/persona remove <term>)\n/explore <0-3> — how adventurous recommendations are\n/link [code] — link this account with Discord or the console\n/forget — delete everything about you\n/status — system status\n/help — this help\nIn private chats, anything else you write tells me about your interests.',
  'cmd.desc.recommend': 'Get recommendations [topic]',
  'cmd.desc.digest': 'Daily digest: on | off | HH:MM [time zone]',
  'cmd.desc.persona': 'What I know about you',
  'cmd.desc.forget': 'Delete everything about you',
  'cmd.desc.explore': 'How adventurous recommendations are (0-3)',
  'cmd.desc.link': 'Link with Discord or the console [code]',
  'cmd.desc.status': 'System status',
  'cmd.desc.help': 'Help',
  'discord.help':
    'Commands:\n/recommend [topic] [count] [category] [source] — get recommendations; react {like} or {dislike} on an item to teach me (anyone in the channel can: each person teaches me about themselves); the "More like this" button under an item finds similar ones for whoever presses it\n/persona [remove] — what I know about you (remove: drop one interest)\n/forget — delete everything about you\n/explore <0-3> — how adventurous recommendations are\n/link [code] — link this account with Telegram or the console\n/status — system status\n/help — this help\nMention me or send me a DM to tell me what you like.',
  'discord.field.source': 'Source',
  'discord.field.category': 'Category',
  'discord.field.why': 'Why',
  'discord.forget.yes': 'Delete everything',
  'discord.forget.no': 'Cancel',
  'discord.forget.expired': 'This confirmation has expired. Run /forget again.',
  'discord.notYourButton': 'Only the person who ran this command can use these buttons.',
  'discord.status.contentOn': 'Discord: Message Content intent on — conversation in DMs and @mentions.',
  'discord.status.contentOff':
    'Discord: Message Content intent off (DISCORD_MESSAGE_CONTENT=false) — commands, reactions, DMs and @mentions still work.',
  'discord.status.contentDenied':
    'Discord: Message Content intent requested but not enabled in the Developer Portal — running without it; commands, reactions, DMs and @mentions still work.',
  'discord.noContent':
    "I couldn't read that message (Discord gave me no text). Use /recommend topic:… or send me a DM.",
  'discord.perm.ViewChannel': 'View Channel',
  'discord.perm.SendMessages': 'Send Messages',
  'discord.perm.EmbedLinks': 'Embed Links',
  'discord.perm.AttachFiles': 'Attach Files',
  'discord.perm.AddReactions': 'Add Reactions',
  'discord.perm.ReadMessageHistory': 'Read Message History',
  'discord.cmd.recommend': 'Get recommendations (react 👍/👎 to teach me)',
  'discord.opt.topic': 'What about? e.g. football, 라면',
  'discord.opt.count': 'How many items',
  'discord.opt.category': 'Only this category',
  'discord.opt.source': 'Only this source',
  'discord.cmd.persona': 'What I know about you (only you see it)',
  'discord.opt.remove': 'An interest to remove from your persona',
  'discord.cmd.forget': 'Delete everything I know about you',
  'discord.cmd.explore': 'How adventurous recommendations are (0-3)',
  'discord.opt.level': '0 focused … 3 adventurous',
  'discord.cmd.status': 'System status',
  'discord.cmd.help': 'How to use DEEP-RECO',
  'discord.cmd.link': 'Link this account with Telegram or the console',
  'discord.opt.code': 'A code from /link on the other platform (leave empty to get one)',
} as const;

type Key = keyof typeof en;

const ko: Record<Key, string> = {
  'error.generic': '죄송해요, 제 쪽에서 문제가 생겼어요. 잠시 후 다시 시도해 주세요.',
  'error.STORE_UNAVAILABLE':
    '죄송해요, 지금 저장소에 연결할 수 없어 아무것도 바뀌지 않았어요. 잠시 후 다시 시도해 주세요.',
  'error.STORE_OPEN_FAILED': '죄송해요, 지금 저장소에 연결할 수 없어요. 나중에 다시 시도해 주세요.',
  'error.CATALOG_EMPTY': '아직 추천할 콘텐츠가 없어요. 카탈로그가 비어 있어요.',
  'error.CATALOG_CORRUPT': '카탈로그가 손상되었어요. 운영자에게 알렸어요.',
  'error.INPUT_INVALID': '이해하지 못했어요. /help 를 입력해 보세요.',
  'error.NOT_FOUND': '찾을 수 없어요.',
  'error.MISSING_PERMISSION': '이 채널에서 필요한 권한이 없어요: {permission}. 관리자에게 권한을 요청해 주세요.',
  'error.INTERNAL': '죄송해요, 제 쪽에서 문제가 생겼어요. 잠시 후 다시 시도해 주세요.',
  'cmd.unknown': '알 수 없는 명령어 "{command}"예요. /help 를 입력해 보세요.',
  'cmd.badArg': '잘못된 {arg}: {reason}',
  'reco.header': '추천 콘텐츠',
  'reco.headerTopic': '"{topic}" 추천 콘텐츠',
  'reco.headerMore': '"{title}"와(과) 비슷한 콘텐츠',
  'reco.moreButton': '비슷한 콘텐츠 더 보기',
  'reco.none': '새로 추천할 게 없어요. 다른 주제를 입력하거나 /explore 3 으로 범위를 넓혀 보세요.',
  'reco.react': '{like} 또는 {dislike} 로 반응해서 알려 주세요.',
  'react.liked': '좋아요 반영: "{title}"',
  'react.disliked': '덜 보여드릴게요: "{title}"',
  'react.removed': '"{title}"에 대한 반응을 취소했어요.',
  'react.duplicate': '이미 반영됐어요.',
  'react.unknownItem': '마지막 목록에 {n}번 항목이 없어요. 먼저 /recommend 를 입력하세요.',
  'react.unknownEmoji': '이 이모지만 반영해요: 좋아요 {like} / 싫어요 {dislike}',
  'react.notShown': '보여드린 적 없는 항목이에요.',
  'persona.empty': '아직 당신에 대해 아는 게 많지 않아요. 좋아하는 것을 말해 주거나 추천에 반응해 주세요.',
  'persona.interests': '관심사: {list}',
  'persona.dislikes': '보고 싶지 않은 것: {list}',
  'persona.categories': '좋아하는 카테고리: {list}',
  'persona.avoidCategories': '건너뛰는 카테고리: {list}',
  'persona.feedback': '좋아요 {likes}개, 싫어요 {dislikes}개에 반응했어요.',
  'persona.explore': '탐색 수준: {level} ({name})',
  'persona.attributes': '당신에 대해: {list}',
  'persona.preferences': '선호: {list}',
  'persona.removed': '관심사에서 "{term}"을(를) 지웠어요.',
  'persona.notFound': '"{term}"은(는) 페르소나에 없어요.',
  'persona.origin.message': '대화에서',
  'persona.origin.feedback': '반응에서',
  'persona.origin.llm': 'LLM 추정',
  'persona.origin.user': '직접 추가',
  'status.llmUsage': '오늘 LLM 토큰 ({day} UTC): {list}',
  'status.llmUsageUser': '나 {used} / {limit}',
  'status.llmUsageTotal': '전체 {used} / {limit}',
  'status.llmNoLimit': '제한 없음',
  'forget.confirm': '페르소나, 반응, 기록 등 저에 대해 아는 모든 것을 삭제해요. 정말 삭제할까요?',
  'forget.done': '완료했어요. 당신에 대한 모든 정보를 잊었어요.',
  'forget.cancelled': '아무것도 삭제하지 않았어요.',
  'explore.set': '탐색 수준을 {level}({name})(으)로 설정했어요.',
  'explore.current': '현재 탐색 수준은 {level}({name})이에요. /explore 0-3 으로 바꿀 수 있어요.',
  'explore.0': '집중',
  'explore.1': '균형',
  'explore.2': '호기심',
  'explore.3': '모험',
  'message.noted': '알겠어요, 기억해 둘게요.',
  'message.notedTerms': '알겠어요, 기억할게요: {list}.',
  'console.intro': 'DEEP-RECO — 좋아하는 것을 말해 주거나 /recommend 를 입력하세요. 명령어는 /help 에 있어요.',
  'message.notedDislikes': '피할게요: {list}.',
  'status.title': 'DEEP-RECO 상태',
  'status.store': '저장소: {value}',
  'status.textEncoder': '텍스트 인코더: {value}',
  'status.imageEncoder': '이미지 인코더: {value}',
  'status.learned': '학습 모델: {value}',
  'status.explainer': '설명: {value}',
  'status.catalog': '카탈로그: {items} 개, {categories} 카테고리, {sources} 소스',
  'status.users': '사용자: {value}',
  'help.text':
    '명령어:\n/recommend [주제] [개수] [카테고리] — 추천 받기\n👍 2 / 👎 3 — 마지막 목록의 2번, 3번 항목에 반응 (-👍 2 는 취소)\n/persona — 저에 대해 아는 것 (/persona remove <단어>)\n/forget — 내 정보 모두 삭제\n/explore <0-3> — 추천의 모험 정도\n/more N — 마지막 목록 N번과 비슷한 콘텐츠\n/link [코드] — 디스코드·텔레그램 계정과 연결\n/status — 시스템 상태\n/help — 도움말\n그 밖에 쓰는 말은 관심사로 기억해요.',
  'why.liked': "'{title}'을(를) 좋아하셔서",
  'why.interests': '{terms} 이야기를 자주 하셔서',
  'why.topic': "'{terms}'와(과) 관련 있어서",
  'why.category': '{category} 분야를 좋아하셔서',
  'why.fresh': '새로 올라온 콘텐츠라서 ({age})',
  'why.popular': '지금 인기 있는 콘텐츠라서',
  'why.explore': '새로운 분야를 탐색해 보시라고',
  'why.default': '{category} 분야에서 골라서',
  'why.join': ', ',
  'age.minutes': '{n}분 전',
  'age.hours': '{n}시간 전',
  'age.days': '{n}일 전',
  'link.code':
    '연결 코드: {code}\n{minutes}분 안에 다른 플랫폼(텔레그램, 디스코드, 콘솔)에서 /link {code} 를 입력하세요. 한 번만 쓸 수 있어요.',
  'link.invalid': '유효하지 않거나 이미 사용된 연결 코드예요. 다른 플랫폼에서 /link 로 새 코드를 받으세요.',
  'link.expired': '연결 코드가 만료됐어요. 다른 플랫폼에서 /link 로 새 코드를 받으세요.',
  'link.already': '이미 연결된 계정이에요.',
  'link.privateOnly': '안전을 위해 /link 는 저와의 개인 채팅(@{bot})에서 사용하세요.',
  'link.done': '연결됐어요! 이제 {platforms}에서 하나의 페르소나와 기록을 써요.',
  'digest.on': '매일 {time}({tz})에 다이제스트를 보내드려요. 다음: {next}',
  'digest.off': '다이제스트를 껐어요.',
  'digest.statusOn':
    '다이제스트: 켜짐, 매일 {time}({tz}). 다음: {next}\n/digest off 또는 /digest HH:MM [시간대] 로 바꿀 수 있어요.',
  'digest.statusOff': '다이제스트: 꺼짐. /digest on 또는 /digest HH:MM [시간대] 로 켜세요 (기본 {time}, {tz}).',
  'digest.usage':
    '/digest on, /digest off 또는 /digest HH:MM [시간대] 형식으로 입력하세요. 예: /digest 07:30 Asia/Seoul',
  'digest.badZone': '"{tz}"은(는) 알 수 없는 시간대예요. Asia/Seoul 같은 IANA 이름을 쓰세요.',
  'digest.adminOnly': '그룹 다이제스트는 그룹 관리자만 바꿀 수 있어요.',
  'digest.intro': '{greeting} {date} 다이제스트: 당신을 위한 새 콘텐츠 {count}개예요.',
  'digest.introGroup': '{greeting} 오늘의 그룹 다이제스트({date}): 이 채팅을 위한 새 콘텐츠 {count}개예요.',
  'digest.greeting.morning': '좋은 아침이에요!',
  'digest.greeting.afternoon': '좋은 오후예요!',
  'digest.greeting.evening': '좋은 저녁이에요!',
  'digest.greeting.night': '늦은 밤이네요!',
  'digest.section.liked': '"{title}"을(를) 좋아하셔서',
  'digest.section.categories': '{list} 새 소식',
  'digest.section.new': '새로 올라온 콘텐츠',
  'digest.section.different': '색다른 추천',
  'tg.forgetYes': '네, 모두 삭제',
  'tg.forgetNo': '취소',
  'tg.badButton': '유효하지 않은 버튼이에요.',
  'tg.notYourButton': '다른 사람을 위한 버튼이에요.',
  'tg.help':
    '명령어:\n/recommend [주제] — 추천 받기 (👍/👎 버튼이나 반응으로 알려 주세요. "비슷한 콘텐츠 더 보기" 버튼은 비슷한 항목을 찾아 줘요)\n/digest on | off | HH:MM [시간대] — 원하는 시간에 매일 다이제스트\n/persona — 저에 대해 아는 것 (/persona remove <단어>)\n/explore <0-3> — 추천의 모험 정도\n/link [코드] — 디스코드나 콘솔 계정과 연결\n/forget — 내 정보 모두 삭제\n/status — 시스템 상태\n/help — 도움말\n개인 채팅에서 그 밖에 쓰는 말은 관심사로 기억해요.',
  'cmd.desc.recommend': '추천 받기 [주제]',
  'cmd.desc.digest': '매일 다이제스트: on | off | HH:MM [시간대]',
  'cmd.desc.persona': '저에 대해 아는 것',
  'cmd.desc.forget': '내 정보 모두 삭제',
  'cmd.desc.explore': '추천의 모험 정도 (0-3)',
  'cmd.desc.link': '디스코드·콘솔과 연결 [코드]',
  'cmd.desc.status': '시스템 상태',
  'cmd.desc.help': '도움말',
  'discord.help':
    '명령어:\n/recommend [주제] [개수] [카테고리] [소스] — 추천 받기. 항목에 {like} 또는 {dislike} 로 반응해서 알려 주세요 (채널의 누구나 가능: 각자 자신의 취향을 알려 줘요). 항목 아래 "비슷한 콘텐츠 더 보기" 버튼은 누른 사람에게 비슷한 항목을 찾아 줘요\n/persona [remove] — 저에 대해 아는 것 (remove: 관심사 하나 지우기)\n/forget — 내 정보 모두 삭제\n/explore <0-3> — 추천의 모험 정도\n/link [코드] — 텔레그램·콘솔 계정과 연결\n/status — 시스템 상태\n/help — 도움말\n저를 멘션하거나 DM 으로 좋아하는 것을 알려 주세요.',
  'discord.field.source': '출처',
  'discord.field.category': '카테고리',
  'discord.field.why': '추천 이유',
  'discord.forget.yes': '모두 삭제',
  'discord.forget.no': '취소',
  'discord.forget.expired': '확인 시간이 지났어요. /forget 을 다시 실행해 주세요.',
  'discord.notYourButton': '이 명령어를 실행한 사람만 이 버튼을 누를 수 있어요.',
  'discord.status.contentOn': '디스코드: 메시지 콘텐츠 인텐트 켜짐 — DM 과 @멘션으로 대화할 수 있어요.',
  'discord.status.contentOff':
    '디스코드: 메시지 콘텐츠 인텐트 꺼짐 (DISCORD_MESSAGE_CONTENT=false) — 명령어, 반응, DM, @멘션은 그대로 작동해요.',
  'discord.status.contentDenied':
    '디스코드: 메시지 콘텐츠 인텐트를 요청했지만 개발자 포털에서 켜지지 않았어요 — 인텐트 없이 실행 중이며 명령어, 반응, DM, @멘션은 작동해요.',
  'discord.noContent':
    '메시지 내용을 읽을 수 없었어요 (디스코드가 내용을 주지 않았어요). /recommend topic:… 을 쓰거나 DM 을 보내 주세요.',
  'discord.perm.ViewChannel': '채널 보기',
  'discord.perm.SendMessages': '메시지 보내기',
  'discord.perm.EmbedLinks': '링크 첨부',
  'discord.perm.AttachFiles': '파일 첨부',
  'discord.perm.AddReactions': '반응 추가하기',
  'discord.perm.ReadMessageHistory': '메시지 기록 보기',
  'discord.cmd.recommend': '추천 받기 (👍/👎 반응으로 취향을 알려 주세요)',
  'discord.opt.topic': '어떤 주제? 예: 축구, 라면',
  'discord.opt.count': '몇 개',
  'discord.opt.category': '이 카테고리만',
  'discord.opt.source': '이 출처만',
  'discord.cmd.persona': '저에 대해 아는 것 (나만 보여요)',
  'discord.opt.remove': '페르소나에서 지울 관심사',
  'discord.cmd.forget': '저에 대해 아는 모든 것 삭제',
  'discord.cmd.explore': '추천의 모험 정도 (0-3)',
  'discord.opt.level': '0 집중 … 3 모험',
  'discord.cmd.status': '시스템 상태',
  'discord.cmd.help': 'DEEP-RECO 사용법',
  'discord.cmd.link': '텔레그램·콘솔 계정과 연결',
  'discord.opt.code': '다른 플랫폼의 /link 코드 (비워 두면 새 코드를 받아요)',
};

const tables: Record<Lang, Record<Key, string>> = { en, ko };

export type MessageKey = Key;

/** Formats a message: `t('ko', 'react.liked', { title })`. Unknown placeholders are left as is. */
export function t(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = tables[lang][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/**
 * The user's message for an error code: the table's `error.<CODE>` entry when it has one (codes a user can
 * act on or should know about), else the generic apology. Which codes have a message is decided here, by
 * the table, and nowhere else.
 */
export function errorMessage(lang: Lang, code: ErrorCode, vars: Record<string, unknown> = {}): string {
  const key = `error.${code}` as MessageKey;
  const strings: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' || typeof v === 'number') strings[k] = v;
  return key in en ? t(lang, key, strings) : t(lang, 'error.generic');
}

const CATEGORY_NAMES: Record<Category, { en: string; ko: string }> = {
  news: { en: 'news', ko: '뉴스' },
  tech: { en: 'tech', ko: 'IT/기술' },
  games: { en: 'games', ko: '게임' },
  sports: { en: 'sports', ko: '스포츠' },
  entertainment: { en: 'entertainment', ko: '연예' },
  music: { en: 'music', ko: '음악' },
  food: { en: 'food', ko: '음식' },
  travel: { en: 'travel', ko: '여행' },
  fashion: { en: 'fashion', ko: '패션' },
  science: { en: 'science', ko: '과학' },
  finance: { en: 'finance', ko: '경제' },
  lifestyle: { en: 'lifestyle', ko: '라이프스타일' },
};

export function categoryName(category: Category, lang: Lang): string {
  return CATEGORY_NAMES[category][lang];
}

/** Category from an English or Korean name ("sports", "스포츠"); undefined when unknown. */
export function parseCategory(input: string): Category | undefined {
  const s = input.trim().toLowerCase();
  for (const [c, names] of Object.entries(CATEGORY_NAMES) as [Category, { en: string; ko: string }][]) {
    if (s === c || s === names.en || s === names.ko.toLowerCase()) return c;
  }
  return undefined;
}

export function exploreName(level: number, lang: Lang): string {
  return t(lang, `explore.${Math.max(0, Math.min(3, level))}` as MessageKey);
}
